# bash completion for code-deploy(1)                       -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/code-deploy; works with
# or without the bash-completion package.

# Completes file names (with -d, directories) into COMPREPLY.
_code_deploy_files()
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

_code_deploy()
{
	# words, cword and split are set by _init_completion when it is there.
	# shellcheck disable=SC2034
	local cur prev words cword split=false
	local opts="-p --parallel --state --journal --resume -n --dry-run --log-dir
		--kill-after --retry-delay --skip-invalid -q --quiet -v --verbose
		-h --help -V --version"

	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -s || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# "--state=x" arrives as "--state" "=" "x".
		if [[ $cur == = ]]; then
			cur=
		elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
		fi
	fi

	case $prev in
	--state | --journal)
		_code_deploy_files
		return
		;;
	--log-dir)
		_code_deploy_files -d
		return
		;;
	--kill-after | --retry-delay)
		mapfile -t COMPREPLY < <(compgen -W "250ms 500ms 1s 2s 5s 10s 30s 1m" -- "$cur")
		return
		;;
	-p | --parallel)
		# A number of the user's own.
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi

	# The operand: a plan (NDJSON, maybe zstd-compressed), or a directory
	# on the way to one.
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(
		compgen -f -X '!*.ndjson' -- "$cur"
		compgen -f -X '!*.jsonl' -- "$cur"
		compgen -f -X '!*.zst' -- "$cur"
		compgen -d -- "$cur"
	)
} &&
	complete -F _code_deploy code-deploy

# ex: filetype=sh
