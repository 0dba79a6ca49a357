import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { executeTemplate, parseTemplate, renderTemplate, splitPreserveQuotes, TemplateError } from '../../src/render/gotemplate/index.js';

const DATA = {
  Values: { empty: '', yes: 'true', no: 'false', n: '3', bad: 'x3', name: 'web', args: `--a --b='c d' --e="f g"` },
  Stack: { Name: 'shop', Version: 'v2', PreviousVersion: 'v1' },
  Release: { Name: 'shop', Version: 'v2', PreviousVersion: 'v1' },
  Environment: { Name: 'prod' },
  list: ['a', 'b'],
  map: { b: 2, a: 1 },
  nested: { inner: { leaf: 'deep' } },
  nothing: null,
};

function render(template: string, data: unknown = DATA): string {
  return renderTemplate(template, data);
}

/** [template, expected output] */
const OUTPUT_CASES: [string, string][] = [
  // text, printing, literals
  ['plain text', 'plain text'],
  ['{{.Values.name}}', 'web'],
  ['{{"quoted\\t\\u00e9"}} {{`raw\\n`}} {{42}} {{-7}} {{1.5}} {{true}} {{0x1F}} {{\'a\'}}', 'quoted\té raw\\n 42 -7 1.5 true 31 97'],
  ['{{.list}} {{.map}} {{.nothing}} {{.Values.missing}} {{print .nothing}}', '[a b] map[a:1 b:2] <no value> <no value> <nil>'],
  ['{{.Stack.Name}}-{{.Release.Version}}-{{.Environment.Name}}', 'shop-v2-prod'],
  ['{{.nested.inner.leaf}} {{.Values.missing.deeper}}', 'deep <no value>'],
  // trim markers
  ['a  {{- .Values.name -}}  b', 'awebb'],
  ['a\n\t {{- .Values.name}}\n b', 'aweb\n b'],
  ['a {{.Values.name -}} \n\n b', 'a webb'],
  ['x\n  {{- if true }}\n  y\n  {{- end }}\nz', 'x\n  y\nz'],
  ['{{- /* leading comment */ -}}\n\nkept', 'kept'],
  ['a{{/* a comment with }} inside */}}b', 'ab'],
  ['{{-3}}', '-3'],
  // if / else if / else
  ['{{if .Values.yes}}T{{end}}{{if .Values.empty}}F{{end}}', 'T'],
  ['{{if eq .Values.name "db"}}db{{else if eq .Values.name "web"}}web{{else}}other{{end}}', 'web'],
  ['{{if eq .Values.name "db"}}db{{else if eq .Values.name "x"}}x{{else}}other{{end}}', 'other'],
  ['{{if .Values.yes}}{{if .Values.empty}}inner{{else}}outer-only{{end}}{{end}}', 'outer-only'],
  ['{{if (.Values.name)}}parenthesised{{end}}', 'parenthesised'],
  [
    '{{if .nothing}}x{{else}}nil is false{{end}} {{if .map}}map is true{{end}} {{if 0}}x{{else}}0 is false{{end}}',
    'nil is false map is true 0 is false',
  ],
  // comparisons and logic
  ['{{eq .Values.name "db" "web"}} {{eq 1 2 3}} {{ne .Values.name "web"}}', 'true false false'],
  ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true false'],
  ['{{eq .Values.missing ""}} {{ne .Values.missing ""}} {{eq .nothing .Values.missing}}', 'false true true'],
  ['{{or .Values.empty .Values.name "z"}} {{or "" 0}} {{and .Values.yes .Values.empty "z"}} {{and 1 2}}', 'web 0  2'],
  ['{{or .Values.name (index .list 5)}} {{and .Values.empty (index .list 5)}}', 'web '],
  ['{{not .Values.empty}} {{not .Values.name}}', 'true false'],
  ['{{if or (eq .Values.name "x") (eq .Values.yes "true")}}or{{end}}', 'or'],
  ['{{if not (or .Values.empty .Values.missing)}}neither{{end}}', 'neither'],
  // variables and scope
  ['{{$x := "a"}}{{$x}}{{$x = "b"}}{{$x}}', 'ab'],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{$y}}{{end}}{{$x}}', '32'],
  ['{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}}-{{$x}}', 'inner-outer'],
  ['{{range .list}}{{$.Values.name}}:{{.}} {{end}}', 'web:a web:b '],
  ['{{- $image:="rancher/app:v1"}}image: {{$image}}', 'image: rancher/app:v1'],
  // range
  ['{{range $i, $e := .list}}{{$i}}={{$e}};{{end}}', '0=a;1=b;'],
  ['{{range $e := .list}}{{$e}}{{end}}', 'ab'],
  ['{{range $k, $v := .map}}{{$k}}{{$v}}{{end}}', 'a1b2'],
  ['{{range .Values.missing}}x{{else}}none{{end}} {{range .nothing}}x{{else}}none{{end}}', 'none none'],
  ['{{range $i, $e := splitPreserveQuotes .Values.args}}[{{$i}} {{$e}}]{{end}}', `[0 --a][1 --b='c d'][2 --e="f g"]`],
  ['{{- range $idx, $e := atoi .Values.n | until }}\n- disk{{$idx}}\n{{- end}}', '\n- disk0\n- disk1\n- disk2'],
  ['{{range until (atoi .Values.n)}}{{.}}{{end}}|{{range until (atoi .Values.bad)}}x{{else}}zero{{end}}', '012|zero'],
  ['{{range $i, $e := .list}}{{range $.list}}{{$i}}{{.}}{{end}}{{end}}', '0a0b1a1b'],
  // with
  ['{{with .nested.inner}}{{.leaf}}{{end}}{{with .Values.empty}}x{{else}}empty{{end}}', 'deepempty'],
  ['{{with .Values.empty}}x{{else with .Values.name}}{{.}}{{end}}', 'web'],
  // pipelines and functions
  ['{{.Values.name | printf "%s-%s" "svc"}}', 'svc-web'],
  ['{{"x" | printf "%s%s" "a" | printf "[%s]"}}', '[ax]'],
  ['{{(index .nested "inner").leaf}} {{index .list 1}} {{index .Values "name"}} {{index .Values "nope"}}|', 'deep b web |'],
  ['{{len .list}} {{len .map}} {{len "héllo"}}', '2 2 6'],
  ['{{print "a" 1 2 "b"}}|{{println "a" 1}}|', 'a1 2b|a 1\n|'],
  [
    '{{printf "%d|%5s|%-5s|%05d|%q|%v|%t|%x|%.2f|%%" 7 "ab" "ab" 42 "a\\"b" .list true 255 3.14159}}',
    '7|   ab|ab   |00042|"a\\"b"|[a b]|true|ff|3.14|%',
  ],
  [
    '{{printf "%.1s" "/mnt"}} {{printf "%d" "x"}} {{printf "%s"}} {{printf "%s" "a" "b"}}',
    '/ %!d(string=x) %!s(MISSING) a%!(EXTRA string=b)',
  ],
  ['{{atoi "42"}} {{atoi "-3"}} {{atoi ""}} {{atoi "4x"}} {{until 3}} {{until 0}}', '42 -3 0 0 [0 1 2] []'],
  ['{{contains "/" "/mnt"}} {{contains "/" "rancher-nfs"}} {{hasPrefix "/" "/mnt"}} {{hasSuffix "s" "nfs"}}', 'true false true true'],
  [
    '{{default "dflt" .Values.empty}} {{default "dflt" .Values.name}} {{empty .Values.empty}} {{quote "a" .Values.name}}',
    'dflt web true "a" "web"',
  ],
  ['{{lower "AbC"}} {{upper "abc"}} {{trim "  x  "}} {{replace "-" "_" "a-b-c"}}', 'abc ABC x a_b_c'],
];

describe('gotemplate: output', () => {
  for (const [template, expected] of OUTPUT_CASES) {
    test(JSON.stringify(template), () => assert.equal(render(template), expected));
  }

  test('parse once, execute with different data', () => {
    const ast = parseTemplate('{{if eq .Values.mode "a"}}A{{else}}B{{end}}');
    assert.equal(executeTemplate(ast, { Values: { mode: 'a' } }), 'A');
    assert.equal(executeTemplate(ast, { Values: { mode: 'b' } }), 'B');
  });

  test('escapeOutput sees only what actions print', () => {
    const out = renderTemplate('key: {{.Values.name}} {{$x := "hidden"}}', DATA, { escapeOutput: (printed) => `<${printed}>` });
    assert.equal(out, 'key: <web> ');
  });
});

describe('gotemplate: splitPreserveQuotes (Rancher semantics)', () => {
  const cases: [string, string[]][] = [
    ['--a', ['--a']],
    ['--a --b', ['--a', '--b']],
    [`--a --b='c d' --e='f'`, ['--a', `--b='c d'`, `--e='f'`]],
    ['--a --b="c d" --e="f"', ['--a', '--b="c d"', '--e="f"']],
    ['', []],
    ['a  b', ['a', '', 'b']],
    ['a é', ['a', 'é']],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(splitPreserveQuotes(input), expected));
  }
});

/** [template, line, part of the message] */
const ERROR_CASES: [string, number, string][] = [
  // syntax
  ['ok\n{{ .Values.name', 2, 'unclosed action'],
  ['a\n\n{{end}}', 3, 'unexpected {{end}}: no open if/range/with block'],
  ['{{if true}}\n{{else}}\n{{else}}\n{{end}}', 3, 'already has an {{else}}; expected {{end}}'],
  ['x\n{{if true}}\nno end', 2, '{{if}} on line 2 has no matching {{end}}'],
  ['{{range .list}}\n{{else if true}}{{end}}', 2, '{{else if}} is only allowed inside {{if}}'],
  ['\n{{foo .Values}}', 2, 'function "foo" not defined'],
  ['{{$x}}', 1, 'undefined variable "$x"'],
  ['{{if true}}{{$x := 1}}{{end}}\n{{$x}}', 2, 'undefined variable "$x"'],
  ['{{if}}{{end}}', 1, 'missing value for if'],
  ['{{.a |}}', 1, 'missing command after "|"'],
  ['{{| .a}}', 1, 'missing command before "|"'],
  ['{{.a | "x"}}', 1, 'non executable command in pipeline stage 2'],
  ['{{"unterminated}}', 1, 'unterminated quoted string'],
  ['{{/* open comment }}', 1, 'unclosed comment'],
  ['{{/* c */ }}', 1, 'comment ends before closing delimiter'],
  ['{{(eq 1 1}}', 1, 'unclosed left paren'],
  ['{{ # }}', 1, 'bad character U+0023 "#"'],
  ['{{$a, $b := .list}}', 1, 'too many declarations in command'],
  ['{{template "x"}}', 1, '{{template}} is not supported'],
  ['{{1.2.3}}', 1, 'bad number syntax'],
  // execution
  ['line1\n{{if (ne .Values.yes "true") .Values.name}}x{{end}}', 2, `can't give argument to non-function (ne .Values.yes "true")`],
  ['\n{{eq .Values.name 1}}', 2, 'error calling eq: incompatible types for comparison'],
  ['{{lt true false}}', 1, 'invalid type for comparison'],
  ['{{until .Values.n}}', 1, 'error calling until: wrong type for value; expected int; got string'],
  ['{{until 100000}}', 1, 'at most 10000 items'],
  ['{{contains .Values.missing "/"}}', 1, 'error calling contains: invalid value; expected string'],
  ['{{index .list 2}}', 1, 'error calling index: index out of range: 2'],
  ['{{not}}', 1, 'wrong number of args for not: want 1 got 0'],
  ['{{range .Values.name}}{{end}}', 1, "range can't iterate over web"],
  ['{{.Values.name.first}}', 1, "can't evaluate field first in type string"],
  ['{{.nothing.field}}', 1, 'nil pointer evaluating interface {}.field'],
  ['{{nil}}', 1, 'nil is not a command'],
  ['{{$x = 1}}', 1, 'undefined variable: $x'],
];

describe('gotemplate: errors carry the line and say what is wrong', () => {
  for (const [template, line, message] of ERROR_CASES) {
    test(JSON.stringify(template), () => {
      assert.throws(
        () => render(template),
        (err: unknown) => {
          assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
          assert.equal(err.line, line, err.message);
          assert.ok(err.message.includes(message), `"${err.message}" should include "${message}"`);
          return true;
        },
      );
    });
  }
});
