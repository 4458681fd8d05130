import assert from 'node:assert/strict';
import { didYouMean, editDistance, nearest, numberOption, parseCommandArgs, UsageError, wantsHelp } from '../../src/core/cli-args';

const SPEC = {
  command: 'vigil x',
  usage: 'usage: vigil x [--config FILE] [--json]',
  options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } },
} as const;

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err;
  }
  assert.fail('no UsageError');
}

describe('cli-args', () => {
  it('edit distance counts insertions, deletions, substitutions and swaps', () => {
    assert.equal(editDistance('start', 'start'), 0);
    assert.equal(editDistance('strat', 'start'), 1);
    assert.equal(editDistance('confg', 'config'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('bogus', 'bench'), 4);
  });
  it('nearest suggests close words and unique prefixes only', () => {
    const cmds = ['start', 'config', 'models', 'bench', 'replay'];
    assert.equal(nearest('strat', cmds), 'start');
    assert.equal(nearest('modles', cmds), 'models');
    assert.equal(nearest('rep', cmds), 'replay');
    assert.equal(nearest('bogus', cmds), undefined);
    assert.equal(nearest('x', cmds), undefined);
    assert.equal(didYouMean('lvie', ['live', 'soak']), ' (did you mean "live"?)');
    assert.equal(didYouMean('camras', ['cameras'], '--'), ' (did you mean --cameras?)');
  });
  it('wantsHelp sees --help and -h before --', () => {
    assert.equal(wantsHelp(['bench', 'live', '--help']), true);
    assert.equal(wantsHelp(['-h']), true);
    assert.equal(wantsHelp(['replay', '--', '--help']), false);
    assert.equal(wantsHelp(['start']), false);
  });
  it('parses valid arguments like parseArgs', () => {
    const r = parseCommandArgs(SPEC, ['-c', 'a.yaml', '--json']);
    assert.equal(r.values.config, 'a.yaml');
    assert.equal(r.values.json, true);
    assert.equal(parseCommandArgs(SPEC, ['--config=b.yaml']).values.config, 'b.yaml');
  });
  it('names an unknown option and the nearest known one', () => {
    const e = usageError(() => parseCommandArgs(SPEC, ['--confg', 'a.yaml']));
    assert.equal(e.message, 'unknown option --confg (did you mean --config?)');
    assert.equal(e.command, 'vigil x');
    assert.equal(e.usage, SPEC.usage);
    assert.equal(usageError(() => parseCommandArgs(SPEC, ['--zzz'])).message, 'unknown option --zzz');
    assert.equal(usageError(() => parseCommandArgs(SPEC, ['-q'])).message, 'unknown option -q');
  });
  it('says which option lacks its value and which takes none', () => {
    assert.equal(usageError(() => parseCommandArgs(SPEC, ['--config'])).message, '--config needs a value');
    assert.equal(usageError(() => parseCommandArgs(SPEC, ['--json=yes'])).message, '--json takes no value (got --json=yes)');
  });
  it('a stray word is an unknown subcommand (with the nearest) or an unexpected argument', () => {
    assert.equal(usageError(() => parseCommandArgs({ ...SPEC, subcommands: ['live', 'soak'] }, ['lvie'])).message, 'unknown command "lvie" (did you mean "live"?)');
    assert.match(usageError(() => parseCommandArgs(SPEC, ['oops'])).message, /unexpected argument "oops"/);
    assert.deepEqual(parseCommandArgs({ ...SPEC, allowPositionals: true }, ['a', 'b']).positionals, ['a', 'b']);
  });
  it('a renamed option names its one spelling', () => {
    assert.equal(usageError(() => parseCommandArgs({ ...SPEC, renamed: { rules: 'config' } }, ['--rules', 'x'])).message, 'unknown option --rules: it is spelt --config');
  });
  it('number options are checked against their range', () => {
    assert.equal(numberOption(SPEC, 'fps', '5', 0.1, 60), 5);
    assert.match(usageError(() => numberOption(SPEC, 'fps', '0', 0.1, 60)).message, /--fps must be a number 0.1..60 \(got 0\)/);
    assert.match(usageError(() => numberOption(SPEC, 'n', '1.5', 1, 9, true)).message, /an integer/);
  });
});
