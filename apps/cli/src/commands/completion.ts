import type { Command } from 'commander';
import { CliError, EXIT } from '../lib/exit-codes';

/** `doorman completion bash|zsh`: a script that completes commands and their options. */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      '\nExamples:\n  echo \'eval "$(doorman completion bash)"\' >> ~/.bashrc\n  echo \'eval "$(doorman completion zsh)"\' >> ~/.zshrc',
    )
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh')
        throw new CliError(EXIT.USAGE, `completion ${shell}: bash or zsh`);
      process.stdout.write(completionScript(program, shell));
    });
}

/** Commands and each one's options, read from the program itself so they never drift. */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const globals = program.options.map((o) => o.long).filter(Boolean);
  const commands = program.commands.map((c) => ({
    name: c.name(),
    options: [...c.options.map((o) => o.long).filter(Boolean), ...globals, '--help'],
  }));
  const cases = commands.map((c) => `    ${c.name}) opts="${c.options.join(' ')}" ;;`).join('\n');
  const bash = `# doorman completion for bash
_doorman() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} ${globals.join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
`;
  if (shell === 'bash') return `${bash}complete -F _doorman doorman\n`;
  // zsh runs the bash function through bashcompinit.
  return `# doorman completion for zsh
autoload -U +X bashcompinit && bashcompinit
${bash.replace('# doorman completion for bash\n', '')}complete -F _doorman doorman
`;
}
