# fish completion for code-cache(1), installed in
# $(datadir)/fish/vendor_completions.d.

set -l __code_cache_subs put get has del stats gc clear batch run

# The subcommand typed so far (the first word that is neither an option
# nor an option's value), or nothing.
function __code_cache_sub
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --dir --max-size --ttl --redis --input --output --env --prefetch
                set skip 1
            case '-*'
            case '*'
                echo $word
                return 0
        end
    end
    return 1
end

function __code_cache_is
    set -l sub (__code_cache_sub); or return 1
    contains -- $sub $argv
end

# True inside run once its command has started ("--" or the command's
# first word): from then on the command's own completions apply.
function __code_cache_in_command
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    set -l seen_run 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if test $seen_run = 1
            switch $word
                case --
                    return 0
                case --input --output --env --ttl --dir --max-size --redis
                    set skip 1
                case '-*'
                case '*'
                    return 0
            end
            continue
        end
        switch $word
            case --dir --max-size --ttl --redis
                set skip 1
            case run
                set seen_run 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 1
end

# Completes run's command and its arguments: a command name first, then
# whatever that command's own completion offers.
function __code_cache_command
    set -l words (commandline -opc)
    set -l i (contains -i -- run $words)
    set -l cmd
    set -l skip 0
    for word in $words[(math $i + 1)..-1]
        if test -n "$cmd"
            set -a cmd $word
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --
                set cmd --
            case --input --output --env --ttl --dir --max-size --redis
                set skip 1
            case '-*'
            case '*'
                set cmd $word
        end
    end
    test "$cmd[1]" = --; and set -e cmd[1]
    if test (count $cmd) = 0
        __fish_complete_command
    else
        complete -C (string join -- ' ' (string escape -- $cmd (commandline -ct)))
    end
end

function __code_cache_put_file
    __code_cache_is put; or return 1
    set -l words (commandline -opc)
    set -l n 0
    set -l skip 0
    for word in $words[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --dir --max-size --ttl --redis
                set skip 1
            case '-*'
            case '*'
                set n (math $n + 1)
        end
    end
    # put, then KEY: the next operand is the file.
    test $n = 2
end

complete -c code-cache -f
# Subcommands.
complete -c code-cache -n "not __code_cache_sub" -a put -d 'Store a value from FILE or stdin'
complete -c code-cache -n "not __code_cache_sub" -a get -d 'Write a value to stdout (miss: exit 1)'
complete -c code-cache -n "not __code_cache_sub" -a has -d 'Exit 0 when KEY is cached'
complete -c code-cache -n "not __code_cache_sub" -a del -d 'Remove KEY'
complete -c code-cache -n "not __code_cache_sub" -a stats -d 'One NDJSON record of counters'
complete -c code-cache -n "not __code_cache_sub" -a gc -d 'Compact, expire and evict now'
complete -c code-cache -n "not __code_cache_sub" -a clear -d 'Remove every entry'
complete -c code-cache -n "not __code_cache_sub" -a batch -d 'NDJSON requests on stdin, answers in order'
complete -c code-cache -n "not __code_cache_sub" -a run -d 'Replay a command, or run and store it'
# Global options, before or after the subcommand.
complete -c code-cache -n "not __code_cache_in_command" -l dir -x -a '(__fish_complete_directories)' -d 'The cache directory'
complete -c code-cache -n "not __code_cache_in_command" -l max-size -x -d 'Evict least recently used entries past SIZE (default 5G)'
complete -c code-cache -n "not __code_cache_in_command" -l ttl -x -d 'Entries written expire after DUR'
complete -c code-cache -n "not __code_cache_in_command" -l redis -x -a 'redis:// unix://' -d 'Shared tier URL'
complete -c code-cache -n "not __code_cache_in_command" -s q -l quiet -d 'Print errors only'
complete -c code-cache -n "not __code_cache_in_command" -s v -l verbose -d 'Say more on stderr (twice: the run key)'
complete -c code-cache -n "not __code_cache_sub" -s h -l help -d 'Print the help and exit'
complete -c code-cache -n "not __code_cache_sub" -s V -l version -d 'Print the version and exit'
# put KEY [FILE|-]
complete -c code-cache -n __code_cache_put_file -F
# batch
complete -c code-cache -n "__code_cache_is batch" -l prefetch -x -d 'With --redis: fetch the N likeliest next keys ahead'
complete -c code-cache -n "__code_cache_is batch" -l skip-invalid -d 'Answer malformed lines with an error instead of stopping'
# run [--input PATH]... [--output PATH]... [--env VAR]... -- CMD ARGS...
complete -c code-cache -n "__code_cache_is run; and not __code_cache_in_command" -l input -r -F -d 'A file or directory the command reads'
complete -c code-cache -n "__code_cache_is run; and not __code_cache_in_command" -l output -r -F -d 'A file the command writes, replayed on a hit'
complete -c code-cache -n "__code_cache_is run; and not __code_cache_in_command" -l env -x -a '(set -n -x)' -d 'An environment variable the command depends on'
complete -c code-cache -n "__code_cache_is run; and not __code_cache_in_command" -a '(__fish_complete_command)' -d Command
complete -c code-cache -n __code_cache_in_command -x -a '(__code_cache_command)'
