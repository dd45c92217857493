# bash completion for code-cache(1)                        -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/code-cache; works with
# or without the bash-completion package.

_code_cache_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir "$@"
	else
		compopt -o filenames 2>/dev/null
		if [[ ${1-} == -d ]]; then
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
	fi
}

_code_cache()
{
	# words, cword and split are set by _init_completion when it is there.
	# shellcheck disable=SC2034
	local cur prev words cword split=false i word sub='' dashdash=0 nargs=0
	local global_opts="--dir --max-size --ttl --redis -q --quiet -v --verbose
		-h --help -V --version"
	local subs="put get has del stats gc clear batch run"

	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -s -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# "--dir=x" arrives as "--dir" "=" "x".
		if [[ $cur == = ]]; then
			cur=
		elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	fi

	# Finds the subcommand, run's "--", and the operands typed so far; the
	# options that take a value skip it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ -n $sub && $sub == run && $word == -- ]]; then
			dashdash=$i
			break
		fi
		case $word in
		--dir | --max-size | --ttl | --redis | --input | --output | --env | --prefetch)
			((i++))
			[[ ${COMP_WORDS[i]-} == = ]] && ((i++))
			;;
		-*) ;;
		=) ;;
		*)
			if [[ -z $sub ]]; then
				sub=$word
			elif [[ $sub == run ]]; then
				# The command's first word ends run's options, as "--" does.
				dashdash=$((i - 1))
				break
			else
				((nargs++))
			fi
			;;
		esac
	done

	# After run's "--": complete the command and its arguments.
	if ((dashdash > 0)); then
		if declare -F _command_offset >/dev/null 2>&1; then
			_command_offset $((dashdash + 1))
		elif ((COMP_CWORD == dashdash + 1)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		else
			_code_cache_files
		fi
		return
	fi

	case $prev in
	--dir)
		_code_cache_files -d
		return
		;;
	--input | --output)
		_code_cache_files
		return
		;;
	--env)
		mapfile -t COMPREPLY < <(compgen -e -- "$cur")
		return
		;;
	--redis)
		mapfile -t COMPREPLY < <(compgen -W "redis:// unix://" -- "$cur")
		compopt -o nospace 2>/dev/null
		if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
			__ltrim_colon_completions "$cur"
		fi
		return
		;;
	--max-size | --ttl | --prefetch)
		# A value of the user's own.
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		case $sub in
		run)
			mapfile -t COMPREPLY < <(compgen -W "--input --output --env -- $global_opts" -- "$cur")
			;;
		batch)
			mapfile -t COMPREPLY < <(compgen -W "--prefetch --skip-invalid $global_opts" -- "$cur")
			;;
		*)
			mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
			;;
		esac
		return
	fi

	if [[ -z $sub ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
		return
	fi
	case $sub in
	put)
		# put KEY [FILE|-]: the key is the user's own, then a file.
		((nargs == 1)) && _code_cache_files
		;;
	run)
		# run's command, when no "--" was typed.
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		;;
	esac
} &&
	complete -F _code_cache code-cache

# ex: filetype=sh
