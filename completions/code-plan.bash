# bash completion for code-plan(1)                         -*- shell-script -*-
# Installed as $(datadir)/bash-completion/completions/code-plan; works with
# or without the bash-completion package.

# Prints the service names of the manifest $1: the keys at two-space indent
# in its top-level "services:" block. Prints nothing, and no error, when the
# file is missing or unreadable.
_code_plan_services()
{
	[[ -f $1 && -r $1 ]] || return 0
	awk '
		{ sub(/\r$/, "") }
		/^services:[ \t]*(#.*)?$/ { in_services = 1; next }
		/^[^ \t#]/ { in_services = 0 }
		in_services && /^  [^ \t#-]/ {
			name = substr($0, 3)
			if (name !~ /:([ \t]|$)/)
				next
			sub(/:([ \t].*)?$/, "", name)
			gsub(/^["\047]|["\047]$/, "", name)
			if (name ~ /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/)
				print name
		}
	' "$1" 2>/dev/null
}

# Prints the manifest named on the command line (the last *.yaml or *.yml
# word other than the one being completed), if any.
_code_plan_manifest()
{
	local i word manifest=
	for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
		((i == COMP_CWORD)) && continue
		word=${COMP_WORDS[i]}
		case $word in
		*.yaml | *.yml) [[ -f $word ]] && manifest=$word ;;
		esac
	done
	[[ -n $manifest ]] && printf '%s\n' "$manifest"
}

_code_plan()
{
	# words, cword and split are set by _init_completion when it is there.
	# shellcheck disable=SC2034
	local cur prev words cword split=false
	local opts="-s --state -o --only -f --force --format --detailed-exitcode
		--input-format -q --quiet -v --verbose -h --help -V --version"

	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -s || return
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

	case $prev in
	-s | --state)
		if declare -F _filedir >/dev/null 2>&1; then
			_filedir
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return
		;;
	-o | --only | -f | --force)
		mapfile -t COMPREPLY < <(compgen -W \
			"$(_code_plan_services "$(_code_plan_manifest)")" -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "ndjson text dot" -- "$cur")
		return
		;;
	--input-format)
		mapfile -t COMPREPLY < <(compgen -W "auto native deploy-code" -- "$cur")
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi

	# The operand: a YAML manifest (or a directory on the way to one).
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(
		compgen -f -X '!*.yaml' -- "$cur"
		compgen -f -X '!*.yml' -- "$cur"
		compgen -d -- "$cur"
	)
} &&
	complete -F _code_plan code-plan

# ex: filetype=sh
