# fish completion for code-logscan(1), installed in
# $(datadir)/fish/vendor_completions.d.

# Set names of the pattern files given with -f/--file: the keys at
# two-space indent in each top-level "sets:" block, and "default" for a
# top-level "patterns:". Quiet when there is no file.
function __code_logscan_sets
    set -l files
    set -l next 0
    for word in (commandline -opc)
        if test $next = 1
            set -a files $word
            set next 0
            continue
        end
        switch $word
            case -f --file
                set next 1
            case '--file=?*'
                set -a files (string replace -- --file= '' $word)
            case '-f?*'
                set -a files (string sub -s 3 -- $word)
        end
    end
    for file in $files
        test -f $file -a -r $file; or continue
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
        ' $file 2>/dev/null
    end
end

# The comma list of --aggregate: what is typed so far, then each key not
# given yet.
function __code_logscan_aggregate
    set -l token (commandline -ct | string replace -r -- '^--aggregate=' '')
    set -l prefix ''
    if string match -q -- '*,*' $token
        set prefix (string replace -r -- '[^,]*$' '' $token)
    end
    for key in file pattern level severity window:
        set -l name (string replace -- : '' $key)
        string match -q -r -- "(^|,)$name(,|:|\$)" $prefix; and continue
        printf '%s%s\n' $prefix $key
    end
end

function __code_logscan_merge
    set -l words (commandline -opc)
    set -q words[2]; and test $words[2] = merge
end

function __code_logscan_scan
    not __code_logscan_merge
end

complete -c code-logscan -f
# code-logscan [OPTIONS] [FILE|DIR]...
complete -c code-logscan -n __code_logscan_scan -s e -l regexp -x -d 'A pattern, named by its own text (repeatable)'
complete -c code-logscan -n __code_logscan_scan -s f -l file -x -k -a '(__fish_complete_suffix .yml; __fish_complete_suffix .yaml)' -d 'A pattern file (repeatable)'
complete -c code-logscan -n __code_logscan_scan -l set -x -a '(__code_logscan_sets)' -d 'Use only this set of the pattern files'
complete -c code-logscan -n __code_logscan_scan -s i -l ignore-case -d 'Match every pattern without regard to case'
complete -c code-logscan -n __code_logscan_scan -s c -l count -d 'Count lines per file and pattern, then a total'
complete -c code-logscan -n __code_logscan_scan -l aggregate -x -a '(__code_logscan_aggregate)' -d 'Count lines in buckets of KEYS'
complete -c code-logscan -n __code_logscan_scan -l format -x -a 'ndjson text prom' -d 'Output format'
complete -c code-logscan -n __code_logscan_scan -l max-series -x -d 'Bound on label combinations (default 1000)'
complete -c code-logscan -n __code_logscan_scan -l follow -d 'Keep reading as files grow, like tail -F'
complete -c code-logscan -n __code_logscan_scan -l state -r -F -d 'Resume where the last run left each file'
complete -c code-logscan -n __code_logscan_scan -s a -l text -d 'Also scan binary files found in directories'
complete -c code-logscan -n __code_logscan_scan -l color -x -a 'auto always never' -d 'Colour of the text format'
complete -c code-logscan -n __code_logscan_scan -s j -l threads -x -d 'Worker threads (default: online CPUs)'
complete -c code-logscan -n __code_logscan_scan -l io -x -a 'auto uring read' -d 'How files are read'
complete -c code-logscan -n __code_logscan_scan -l max-text -x -d 'Cut match text at SIZE bytes (default 64K)'
complete -c code-logscan -n __code_logscan_scan -s q -l quiet -d 'Print errors only; no warnings or colour'
complete -c code-logscan -n __code_logscan_scan -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c code-logscan -n __code_logscan_scan -s h -l help -d 'Print the help and exit'
complete -c code-logscan -n __code_logscan_scan -s V -l version -d 'Print the version and exit'
complete -c code-logscan -n __fish_use_subcommand -a merge -d 'Sum count and bucket records of several runs'
complete -c code-logscan -n __code_logscan_scan -F
# code-logscan merge [OPTIONS] [FILE]...
complete -c code-logscan -n __code_logscan_merge -l format -x -a 'ndjson text prom' -d 'Output format'
complete -c code-logscan -n __code_logscan_merge -l max-series -x -d 'Bound on label combinations (default 1000)'
complete -c code-logscan -n __code_logscan_merge -l skip-invalid -d 'Skip and count lines that are not JSON records'
complete -c code-logscan -n __code_logscan_merge -s q -l quiet -d 'Print errors only'
complete -c code-logscan -n __code_logscan_merge -s v -l verbose -d 'Say more on stderr'
complete -c code-logscan -n __code_logscan_merge -s h -l help -d 'Print the help and exit'
complete -c code-logscan -n __code_logscan_merge -F
