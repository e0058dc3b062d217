import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postprocess, isSingleLineMode } from '../../src/shared/completion/postprocess';

const p = (prefix: string, suffix = '') => ({ prefix, suffix });

test('single line when text sits right of the cursor', () => {
  const prompt = p('const v = compute(', ');\nnext();\n');
  assert.equal(isSingleLineMode(prompt), true);
  assert.equal(postprocess('a, b\nmore();\n', prompt), 'a, b');
});

test('block mode when only whitespace is right of the cursor', () => {
  assert.equal(isSingleLineMode(p('if (x) {', '   \n}')), false);
});

test('block stops at a dedent below the cursor line', () => {
  const prompt = p('function f() {\n  const a = 1;\n  ', '\n}\n');
  assert.equal(postprocess('const b = 2;\n  return a + b;\n}\n\nfunction g() {', prompt), 'const b = 2;\n  return a + b;');
});

test('block stops at a blank line after a complete statement, not before one', () => {
  const prompt = p('def f(x):\n', '');
  assert.equal(postprocess('    y = x + 1\n    return y\n\ndef g():\n    pass\n', prompt), '    y = x + 1\n    return y');
  // A blank line inside an open call (statement incomplete) does not end the block.
  const open = p('', '');
  assert.equal(postprocess('call(a,\n\n  b)\n\nnext()', open), 'call(a,\n\n  b)');
});

test('block keeps the body of a block the completion opens', () => {
  const prompt = p('class A {\n  ', '\n}\n');
  assert.equal(postprocess('m() {\n    return 1;\n  }\n\n  n() {', prompt), 'm() {\n    return 1;\n  }');
});

test('suffix echo: single line stops where the text after the cursor is re-typed', () => {
  assert.equal(postprocess('g(x))', p('f(', ')')), 'g(x)');
  assert.equal(postprocess('a, b);', p('call(', ');')), 'a, b');
  assert.equal(postprocess('hello")', p('print("', '")')), 'hello');
  // The whole completion is an echo: nothing to offer.
  assert.equal(postprocess(');', p('call(', ');')), '');
  // an echo uncovered by cutting a bracket the completion opened
  assert.equal(postprocess('a, b) {', p('add(', ');')), 'a, b');
});

test('suffix echo: block mode drops the line that already follows the cursor', () => {
  const prompt = p('function f(a) {\n  ', '\n  return a;\n}\n');
  assert.equal(postprocess('a = a * 2;\n  return a;\n}', prompt), 'a = a * 2;');
});

test('repeated lines are cut at the first repeat', () => {
  const prompt = p('', '');
  assert.equal(postprocess('x++;\nx++;\nx++;', prompt), 'x++;');
  assert.equal(postprocess('a = 1;\nb = 2;\na = 1;\nb = 2;\n', prompt), 'a = 1;\nb = 2;');
  // Re-typing the line just above the cursor is no suggestion at all.
  assert.equal(postprocess('import os', p('import os\n', '')), '');
});

test('brackets: a stray closer ends the completion', () => {
  assert.equal(postprocess('foo] + 1', p('x = ', '')), 'foo');
  // Closing a bracket the prefix opened is fine.
  assert.equal(postprocess('a, b)', p('call(', '')), 'a, b)');
  // A mismatched closer is not.
  assert.equal(postprocess('a, b}', p('call(', '')), 'a, b');
});

test('brackets: unclosed brackets the completion opened are trimmed back', () => {
  assert.equal(postprocess('bar(1, 2', p('foo(', ')')), 'bar');
  // Block mode keeps a first line that opens a block ...
  assert.equal(postprocess('function f() {\n  return 1;', p('', '')), 'function f() {\n  return 1;');
  // ... but trims later lines back to where everything was closed.
  assert.equal(postprocess('a();\nb(1,\n  2', p('', '')), 'a();');
});

test('brackets inside strings and comments do not count', () => {
  assert.equal(postprocess('"(" + x', p('s = ', '')), '"(" + x');
  assert.equal(postprocess('1 // close )', p('y = ', '')), '1 // close )');
});

test('CRLF is normalised and trailing whitespace dropped', () => {
  assert.equal(postprocess('a = 1;\r\nb = 2;   \r\n', p('', '')), 'a = 1;\nb = 2;');
  assert.equal(postprocess('   \n  ', p('', '')), '');
});

test('completion starting with a newline and an unclosed bracket terminates', () => {
  assert.equal(postprocess('\nfoo(', p('x;', '')), '');
  assert.equal(postprocess('\n\nbar(1,\n', p('y;', '')), '');
});

test('a stutter inside a line is cut, rulers and numbers are not', () => {
  assert.equal(postprocess('.y,,,,,,,,,,,,,,', p('x = a', '')), '.y,');
  assert.equal(postprocess('foo(1); a.b.a.b.a.b.a.b.a.b', p('', '')), 'foo(1); a.b.');
  assert.equal(postprocess('// ----------------', p('', '')), '// ----------------');
  assert.equal(postprocess('1000000;', p('const n = ', '')), '1000000;');
  assert.equal(postprocess('f())))', p('g(h(', '')), 'f()))');
});

test('a longer stutter is cut; three of a kind in real code is not', () => {
  assert.equal(postprocess('.y, this.y, this.y, this.y, this.y, this', p('return this', '')), '.y, this');
  assert.equal(postprocess('[0, 0, 0];', p('const zeros = ', '')), '[0, 0, 0];');
  assert.equal(postprocess('a.b.c.d', p('x = ', '')), 'a.b.c.d');
  // a word three times over is a loop; twice is not
  assert.equal(postprocess('entries.entries.entries.tlMs = 0;', p('this.', '')), 'entries.');
  assert.equal(postprocess('entries.entries = 0;', p('this.', '')), 'entries.entries = 0;');
  assert.equal(postprocess("['', '', ''];", p('const blanks = ', '')), "['', '', ''];");
});

test('a one-line suggestion that ends by re-typing the text right of the cursor keeps only what comes before it', () => {
  const prompt = { prefix: '    this.lis', suffix: 'event);\n  }\n' };
  assert.equal(postprocess('teners.delete(event);', prompt), 'teners.delete(');
  assert.equal(postprocess('teners.delete(other);', prompt), 'teners.delete(other);');
});
