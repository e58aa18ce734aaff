/** Every command's `--help` shows examples, and the completion scripts name every command (both read commander's tree). */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { bashCompletion, commandTree, zshCompletion } from '../../../cli/completion.ts';

let program: Command;
beforeAll(async () => {
  process.env.BRAISE_CLI_TREE_ONLY = '1';
  ({ program } = await import('../../../cli/main.ts'));
});

function allCommands(cmd: Command, path: string[] = []): Array<{ path: string; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()].join(' '), cmd: c }, ...allCommands(c, [...path, c.name()])]);
}

/** What `braise <path> --help` prints (commander's help plus the text added after it). */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

describe('braise --help', () => {
  it('has an Examples block in every command, each example starting with braise (or an env assignment before it)', () => {
    const commands = [{ path: '', cmd: program }, ...allCommands(program)];
    expect(commands.map((c) => c.path)).toEqual(expect.arrayContaining(['', 'run', 'list', 'logs', 'cancel', 'validate', 'open', 'completion', 'schedule create', 'token create']));
    for (const { path, cmd } of commands) {
      const help = helpOf(cmd);
      const block = help.split('\nExamples:\n')[1];
      expect(block, `braise ${path} --help has no Examples block`).toBeDefined();
      const lines = block!.split('\n').filter((l) => l.trim());
      expect(lines.length, `braise ${path}`).toBeGreaterThan(0);
      for (const l of lines) expect(l, `braise ${path}`).toMatch(/^ {2}([A-Z_]+=\S+ )*(export \w+=\$\()?(source <\()?braise /);
    }
  });

  it('completion scripts offer every command and subcommand at its place in the tree', () => {
    const nodes = commandTree(program);
    const top = nodes.find((n) => n.path === '')!;
    expect(top.subcommands.map((s) => s.name)).toEqual(expect.arrayContaining(['run', 'list', 'logs', 'schedule', 'completion']));
    expect(nodes.find((n) => n.path === '/schedule')!.subcommands.map((s) => s.name)).toEqual(['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete']);
    expect(nodes.find((n) => n.path === '/completion')!.subcommands.map((s) => s.name)).toEqual(['bash', 'zsh']);
    const bash = bashCompletion(program);
    const zsh = zshCompletion(program);
    for (const { path } of allCommands(program)) {
      expect(bash).toContain(`'/${path.replace(/ /g, '/')}'`);
      expect(zsh).toContain(`'/${path.replace(/ /g, '/')}'`);
    }
    expect(bash).toContain("'/logs') words='--stage --follow -f --json --help'");
  });
});
