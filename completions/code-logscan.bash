# bash completion for code-logscan(1)                      -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/code-logscan; works
# with or without the bash-completion package.

# Prints the set names of the pattern files named with -f/--file on the
# command line: the keys at two-space indent in each top-level "sets:"
# block, and "default" for a top-level "patterns:". Quiet when a file is
# missing or unreadable.
_code_logscan_sets()
{
	local i word next=false
	local -a files=()
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		((i == COMP_CWORD)) && { next=false; continue; }
		word=${COMP_WORDS[i]}
		if $next; then
			[[ $word == = ]] && continue
			files+=("$word")
			next=false
			continue
		fi
		case $word in
		-f | --file) next=true ;;
		--file=?*) files+=("${word#--file=}") ;;
		-f?*) files+=("${word#-f}") ;;
		esac
	done
	for word in "${files[@]}"; do
		[[ -f $word && -r $word ]] || continue
		awk '
			{ sub(/\r$/, "") }
			/^patterns:[ \t]*(#.*)?$/ || /^patterns:[ \t]*\[/ { print "default" }
			/^sets:[ \t]*(#.*)?$/ { in_sets = 1; next }
			/^[^ \t#]/ { in_sets = 0 }
			in_sets && /^  [^ \t#-]/ {
				name = substr($0, 3)
				if (name !~ /:([ \t]|$)/)
					next
				sub(/:([ \t].*)?$/, "", name)
				gsub(/^["\047]|["\047]$/, "", name)
				print name
			}
		' "$word" 2>/dev/null
	done
}

# Completes the comma list of --aggregate: the keys not given yet, after
# what is already there; "window:" waits for its duration.
_code_logscan_aggregate()
{
	local prefix='' last=$cur key used
	local -a keys=()
	if [[ $cur == *,* ]]; then
		prefix=${cur%,*},
		last=${cur##*,}
	fi
	for key in file pattern level severity window:; do
		used=,$prefix
		[[ $used == *,${key%:}[,:]* ]] && continue
		keys+=("$prefix$key")
	done
	mapfile -t COMPREPLY < <(compgen -W "${keys[*]}" -- "$prefix$last")
	compopt -o nospace 2>/dev/null
	# Readline replaces only what follows the last colon of the word.
	if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
		__ltrim_colon_completions "$cur"
	fi
}

_code_logscan_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir "$@"
	else
		compopt -o filenames 2>/dev/null
		if [[ -n ${1-} ]]; then
			# Without extglob: one pass per suffix, as _filedir 'yaml|yml'.
			mapfile -t COMPREPLY < <(
				compgen -f -X '!*.yaml' -- "$cur"
				compgen -f -X '!*.yml' -- "$cur"
				compgen -d -- "$cur"
			)
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
	fi
}

_code_logscan()
{
	# words, cword and split are set by _init_completion when it is there.
	# shellcheck disable=SC2034
	local cur prev words cword split=false merge=false i
	local opts="-e --regexp -f --file --set -i --ignore-case -c --count
		--aggregate --format --max-series --follow --state -a --text --color
		-j --threads --io --max-text -q --quiet -v --verbose -h --help
		-V --version"
	local merge_opts="--format --max-series --skip-invalid -q --quiet
		-v --verbose -h --help"

	if declare -F _init_completion >/dev/null 2>&1; then
		# -n : keeps "window:1m" one word.
		_init_completion -s -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# "--format=te" arrives as "--format" "=" "te".
		if [[ $cur == = ]]; then
			cur=
		elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == merge ]] && { merge=true; break; }
		[[ ${COMP_WORDS[i]} == -* ]] || break
	done

	case $prev in
	--format)
		mapfile -t COMPREPLY < <(compgen -W "ndjson text prom" -- "$cur")
		return
		;;
	--color)
		mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
		return
		;;
	--io)
		mapfile -t COMPREPLY < <(compgen -W "auto uring read" -- "$cur")
		return
		;;
	--aggregate)
		_code_logscan_aggregate
		return
		;;
	-f | --file)
		_code_logscan_files 'yaml|yml'
		return
		;;
	--state)
		_code_logscan_files
		return
		;;
	--set)
		mapfile -t COMPREPLY < <(compgen -W "$(_code_logscan_sets)" -- "$cur")
		return
		;;
	-e | --regexp | -j | --threads | --max-series | --max-text)
		# A value of the user's own.
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		if $merge; then
			mapfile -t COMPREPLY < <(compgen -W "$merge_opts" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		fi
		return
	fi

	# Operands: logs and directories (NDJSON streams for merge); "merge"
	# only as the first word.
	_code_logscan_files
	if ((COMP_CWORD == 1)) && [[ merge == "$cur"* ]]; then
		COMPREPLY+=(merge)
	fi
} &&
	complete -F _code_logscan code-logscan

# ex: filetype=sh
