# fish completion for code-deploy(1), installed in
# $(datadir)/fish/vendor_completions.d.

complete -c code-deploy -f
complete -c code-deploy -s p -l parallel -x -d 'Services deployed at once inside a stage (default: the plan\'s, else 5)'
complete -c code-deploy -l state -r -F -d 'The state file, locked while running (default $CODE_STATE_DIR/state.json)'
complete -c code-deploy -l journal -r -F -d 'The journal of the run\'s events (default: the state file + .journal)'
complete -c code-deploy -l resume -d 'Continue the journal\'s unfinished run'
complete -c code-deploy -s n -l dry-run -d 'Print the commands that would run, run nothing'
complete -c code-deploy -l log-dir -x -a '(__fish_complete_directories)' -d 'Command output goes to DIR/RUN/SERVICE.TARGET.PHASE.log'
complete -c code-deploy -l kill-after -x -a '250ms 500ms 1s 2s 5s 10s 30s 1m' -d 'SIGKILL a command\'s process group DUR after SIGTERM (default 10s)'
complete -c code-deploy -l retry-delay -x -a '250ms 500ms 1s 2s 5s 10s 30s 1m' -d 'Backoff base between attempts of a failed command (default 1s)'
complete -c code-deploy -l skip-invalid -d 'Skip malformed plan lines and bad step records instead of stopping'
complete -c code-deploy -s q -l quiet -d 'Print errors only; no progress or colour'
complete -c code-deploy -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c code-deploy -s h -l help -d 'Print the help and exit'
complete -c code-deploy -s V -l version -d 'Print the version and exit'
# The operand: a plan from code-plan, NDJSON or zstd-compressed.
complete -c code-deploy -k -a '(__fish_complete_suffix .zst; __fish_complete_suffix .jsonl; __fish_complete_suffix .ndjson)'
