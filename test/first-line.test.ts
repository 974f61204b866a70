import test from 'ava';
import { firstLine } from '../backends/first-line.js';

test('firstLine: the first line of an error message or a text, trimmed, blank lines before it skipped', (t) => {
  t.is(firstLine(new Error('\n  ERROR:  relation "x" does not exist  \nLINE 1: SELECT ...')), 'ERROR:  relation "x" does not exist');
  t.is(firstLine('one line'), 'one line');
  t.is(firstLine(42), '42');
  t.is(firstLine(''), '');
});
