# fish completion for code-plan(1), installed in
# $(datadir)/fish/vendor_completions.d.

# Service names of the manifest on the command line: the keys at two-space
# indent in its top-level "services:" block. Quiet when there is no file.
function __code_plan_services
    set -l manifest
    for word in (commandline -op)
        if string match -qr '\.ya?ml$' -- $word; and test -f $word -a -r $word
            set manifest $word
        end
    end
    test -n "$manifest"; or return 0
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
    ' $manifest 2>/dev/null
end

complete -c code-plan -f
complete -c code-plan -s s -l state -r -F -d 'Compare with the digests code-deploy recorded in FILE'
complete -c code-plan -s o -l only -x -a '(__code_plan_services)' -d 'Plan only SERVICE (repeatable)'
complete -c code-plan -s f -l force -x -a '(__code_plan_services)' -d 'Deploy SERVICE even if unchanged (repeatable)'
complete -c code-plan -l format -x -a 'ndjson text dot' -d 'Output format'
complete -c code-plan -l detailed-exitcode -d 'Exit 2 when the plan has changes, 0 when it has none'
complete -c code-plan -l input-format -x -a 'auto native deploy-code' -d 'Manifest schema'
complete -c code-plan -s q -l quiet -d 'Print errors only; no progress or colour'
complete -c code-plan -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c code-plan -s h -l help -d 'Print the help and exit'
complete -c code-plan -s V -l version -d 'Print the version and exit'
# The operand: a YAML manifest.
complete -c code-plan -k -a '(__fish_complete_suffix .yml; __fish_complete_suffix .yaml)'
