// GENERATED from Templates/ by scripts/embed.py. Do not edit: run `make generate`.
// swift-format-ignore-file

enum EmbeddedTemplates {
  static let files: [(path: String, contents: String)] = [
    (
      "html-result.mustache",
      #"""
{{! Partial of html.mustache: one check result as a card (its anchor is check-<index>). }}
<section class="result s-{{status}}" id="check-{{index}}">
<h3><span class="badge"><span aria-hidden="true">{{glyph}}</span> {{statusLabel}}</span> {{index}}. {{title}} <code class="id">{{id}}</code></h3>
{{#reason}}
<p><span class="label">Reason:</span> <code class="reason">{{reason}}</code>{{#summary}}: {{summary}}{{/summary}}</p>
{{/reason}}
{{^reason}}
{{#summary}}
<p>{{summary}}</p>
{{/summary}}
{{/reason}}
{{#detail}}
<p>{{#isProblem}}<span class="label">Detail:</span> {{/isProblem}}{{detail}}</p>
{{/detail}}
{{#why}}
<p><span class="label">Why:</span> {{why}}</p>
{{/why}}
{{#fix}}
<p><span class="label">Fix:</span> {{fix}}</p>
{{/fix}}
{{#hasSteps}}
<ol>
{{#steps}}
<li>{{text}}</li>
{{/steps}}
</ol>
{{/hasSteps}}
{{#whoFixes}}
<p><span class="label">Who fixes it:</span> {{whoFixes}}</p>
{{/whoFixes}}
{{#hasDocs}}
<p><span class="label">Docs:</span></p>
<ul>
{{#docs}}
<li>{{#href}}<a href="{{href}}">{{url}}</a>{{/href}}{{^href}}{{url}}{{/href}}</li>
{{/docs}}
</ul>
{{/hasDocs}}
{{#bcPage}}
<p><span class="label">In Business Central:</span> {{#href}}<a href="{{href}}">{{url}}</a>{{/href}}{{^href}}{{url}}{{/href}}</p>
<ul class="checklist">
{{#bcChecklist}}
<li>☐ {{text}}</li>
{{/bcChecklist}}
</ul>
{{/bcPage}}
{{#explainCommand}}
<p class="note">More: <code>{{explainCommand}}</code></p>
{{/explainCommand}}
{{#hasEvidence}}
<details{{#isProblem}} open{{/isProblem}}>
<summary>Evidence ({{evidenceCount}})</summary>
<dl class="evidence">
{{#evidence}}
<dt>{{key}}</dt><dd class="mono">{{value}}</dd>
{{/evidence}}
</dl>
</details>
{{/hasEvidence}}
</section>
"""# + "\n"
    ),
    (
      "html.mustache",
      ##"""
{{! One self-contained, printable HTML page: no external CSS, scripts or fonts. Values are
    HTML-escaped (Mustache's default content type). Every status colour comes with its word. }}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{toolName}} {{toolVersion}}">
<title>S2S Doctor: {{statusLabel}}, {{headline}}</title>
<style>
:root {
  --passed: #1a7f37; --warning: #9a6700; --failed: #cf222e; --skipped: #59636e; --could-not-test: #8250df;
  --text: #1f2328; --muted: #59636e; --border: #d0d7de; --soft: #f6f8fa;
}
* { box-sizing: border-box; }
html { color: var(--text); background: #fff; }
body {
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem;
}
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.05rem; margin: 0; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
p { margin: .4rem 0; }
a { color: #0969da; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .86em; }
.s-passed { --c: var(--passed); }
.s-warning { --c: var(--warning); }
.s-failed { --c: var(--failed); }
.s-skipped { --c: var(--skipped); }
.s-could-not-test { --c: var(--could-not-test); }
.badge {
  display: inline-block; padding: .05rem .55rem; border-radius: 1rem; white-space: nowrap;
  font-size: .78rem; font-weight: 700; letter-spacing: .02em; color: #fff; background: var(--c);
}
.verdict { border: 1px solid var(--border); border-left: 10px solid var(--c); border-radius: 8px; padding: 1rem 1.25rem; background: var(--soft); }
.verdict .headline { font-size: 1.1rem; font-weight: 600; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .6rem; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--border); border-radius: 6px; padding: .1rem .6rem; background: #fff; }
.counts li strong { color: var(--c); }
.note { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid var(--border); }
thead th { background: var(--soft); font-size: .85rem; }
th.num, td.num { text-align: right; width: 3rem; }
table.target th { width: 12rem; font-weight: 600; }
table.target td { overflow-wrap: anywhere; }
.result { border: 1px solid var(--border); border-left: 6px solid var(--c); border-radius: 8px; padding: .75rem 1rem; margin: .9rem 0; }
.result.s-passed, .result.s-skipped { padding: .4rem .9rem; margin: .5rem 0; break-inside: avoid; }
.result.s-passed h3, .result.s-skipped h3 { font-size: .95rem; font-weight: 600; }
.result .id { color: var(--muted); }
.result .reason { font-weight: 600; }
.result ol, .result ul { margin: .3rem 0; padding-left: 1.4rem; }
.label { font-weight: 600; }
details { margin-top: .5rem; }
summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
dl.evidence { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .4rem 0 0; }
dl.evidence dt { font-weight: 600; font-size: .86rem; }
dl.evidence dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--border); padding-top: .75rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .badge, .verdict, .result, .counts li strong { -webkit-print-color-adjust: exact; }
  a { color: inherit; }
  tr, li, dl.evidence { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
</style>
</head>
<body>
<header class="verdict s-{{status}}">
<h1>S2S Doctor report</h1>
<p class="headline"><span class="badge"><span aria-hidden="true">{{glyph}}</span> {{statusLabel}}</span> {{headline}}</p>
<p>{{verdict}}</p>
<ul class="counts">
<li class="s-passed"><strong>{{counts.passed}}</strong> passed</li>
<li class="s-warning"><strong>{{counts.warning}}</strong> warning</li>
<li class="s-failed"><strong>{{counts.failed}}</strong> failed</li>
<li class="s-could-not-test"><strong>{{counts.couldNotTest}}</strong> could not test</li>
<li class="s-skipped"><strong>{{counts.skipped}}</strong> skipped</li>
</ul>
</header>

<main>
{{#hasFailures}}
<h2>Problems</h2>
{{#failures}}
{{> html-result}}
{{/failures}}
{{/hasFailures}}

<h2>Checks</h2>
<table class="checks">
<thead>
<tr><th scope="col" class="num">#</th><th scope="col">Check</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col" class="num">ms</th></tr>
</thead>
<tbody>
{{#results}}
<tr class="s-{{status}}"><td class="num">{{index}}</td><td><a href="#check-{{index}}">{{title}}</a> <code class="id">{{id}}</code></td><td><span class="badge"><span aria-hidden="true">{{glyph}}</span> {{statusLabel}}</span></td><td>{{#reason}}<code>{{reason}}</code>{{/reason}}</td><td class="num">{{durationMs}}</td></tr>
{{/results}}
</tbody>
</table>

<h2>Registration</h2>
<table class="target">
<tbody>
{{#targetRows}}
<tr><th scope="row">{{label}}</th><td>{{value}}</td></tr>
{{/targetRows}}
<tr><th scope="row">Run</th><td>{{startedAt}} to {{finishedAt}} ({{durationSeconds}} s)</td></tr>
<tr><th scope="row">Tool</th><td>{{toolName}} {{toolVersion}} ({{platform}})</td></tr>
</tbody>
</table>
{{#redactedIDs}}
<p class="note">Tenant and client ids are shortened to their last four characters.</p>
{{/redactedIDs}}

<h2>Other checks</h2>
{{#results}}
{{^isProblem}}
{{> html-result}}
{{/isProblem}}
{{/results}}
</main>

<footer>
<p>Generated by {{toolName}} {{toolVersion}} ({{platform}}) from the run of {{generatedAt}}. Secrets and tokens are never part of a report; credential-shaped values are masked.</p>
</footer>
</body>
</html>
"""## + "\n"
    ),
    (
      "junit-body.mustache",
      #"""
{{% CONTENT_TYPE: XML }}
{{! Partial of junit.mustache: the body of a <failure>, <error> or warning <system-out>. }}
{{#reason}}Reason: {{reason}}
{{/reason}}{{#summary}}Summary: {{summary}}
{{/summary}}{{#detail}}Detail: {{detail}}
{{/detail}}{{#why}}Why: {{why}}
{{/why}}{{#fix}}Fix: {{fix}}
{{/fix}}{{#steps}}  {{number}}. {{text}}
{{/steps}}{{#whoFixes}}Who fixes it: {{whoFixes}}
{{/whoFixes}}{{#docs}}Docs: {{url}}
{{/docs}}{{#explainCommand}}More: {{explainCommand}}
{{/explainCommand}}{{#hasEvidence}}Evidence:
{{#evidence}}  {{key}}: {{value}}
{{/evidence}}
{{/hasEvidence}}
"""# + "\n"
    ),
    (
      "junit.mustache",
      #"""
{{% CONTENT_TYPE: XML }}
{{! JUnit XML for CI: one testcase per check. failed is a <failure>, could-not-test an <error>,
    skipped a <skipped>; a warning passes and says so in <system-out>. Values are XML-escaped. }}
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="{{toolName}}" tests="{{counts.total}}" failures="{{counts.failed}}" errors="{{counts.couldNotTest}}" skipped="{{counts.skipped}}" time="{{durationSeconds}}" timestamp="{{startedAt}}">
  <testsuite name="{{toolName}} check" tests="{{counts.total}}" failures="{{counts.failed}}" errors="{{counts.couldNotTest}}" skipped="{{counts.skipped}}" time="{{durationSeconds}}" timestamp="{{startedAt}}">
    <properties>
      <property name="tool.version" value="{{toolVersion}}"/>
      <property name="tool.platform" value="{{platform}}"/>
{{#targetRows}}
      <property name="target.{{key}}" value="{{value}}"/>
{{/targetRows}}
      <property name="outcome" value="{{status}}"/>
      <property name="headline" value="{{headline}}"/>
    </properties>
{{#results}}
    <testcase classname="{{toolName}}.{{id}}" name="{{title}}" time="{{durationSeconds}}">
{{#isFailed}}
      <failure message="{{#reason}}{{reason}}: {{/reason}}{{#summary}}{{summary}}{{/summary}}{{^summary}}{{detail}}{{/summary}}" type="{{#reason}}{{reason}}{{/reason}}{{^reason}}failed{{/reason}}">{{> junit-body}}</failure>
{{/isFailed}}
{{#isCouldNotTest}}
      <error message="{{#reason}}{{reason}}: {{/reason}}{{#summary}}{{summary}}{{/summary}}{{^summary}}{{detail}}{{/summary}}" type="could-not-test">{{> junit-body}}</error>
{{/isCouldNotTest}}
{{#isSkipped}}
      <skipped message="{{#detail}}{{detail}}{{/detail}}{{^detail}}skipped{{/detail}}"/>
{{/isSkipped}}
{{#isWarning}}
      <system-out>WARNING: this check passed with a warning.
{{> junit-body}}</system-out>
{{/isWarning}}
{{^isProblem}}
{{#hasEvidence}}
      <system-out>{{#detail}}{{detail}}
{{/detail}}{{#evidence}}{{key}}: {{value}}
{{/evidence}}</system-out>
{{/hasEvidence}}
{{/isProblem}}
    </testcase>
{{/results}}
  </testsuite>
</testsuites>
"""# + "\n"
    ),
    (
      "markdown.mustache",
      #"""
{{% CONTENT_TYPE: MARKDOWN }}
{{! Markdown for a support ticket or a pull request comment. Values are Markdown-escaped by the
    MARKDOWN content type; url fields are percent-encoded and printed raw. }}
## S2S Doctor: {{glyph}} {{statusLabel}}, {{headline}}

{{verdict}}

| Registration | |
| --- | --- |
{{#targetRows}}
| {{label}} | {{value}} |
{{/targetRows}}
| Run | {{startedAt}} ({{durationSeconds}} s) |
| Tool | {{toolName}} {{toolVersion}} ({{platform}}) |
{{#redactedIDs}}

Tenant and client ids are shortened to their last four characters.
{{/redactedIDs}}

### Checks

| # | Check | Status | Reason |
| ---: | --- | --- | --- |
{{#results}}
| {{index}} | {{title}} (`{{id}}`) | {{glyph}} {{statusLabel}} | {{#reason}}{{reason}}{{/reason}} |
{{/results}}
{{#hasFailures}}

### Problems
{{#failures}}

#### {{glyph}} {{title}}: {{statusLabel}}

{{#reason}}
**Reason:** `{{reason}}`{{#summary}}: {{summary}}{{/summary}}

{{/reason}}
{{^reason}}
{{#summary}}
{{summary}}

{{/summary}}
{{/reason}}
{{#detail}}
**Detail:** {{detail}}

{{/detail}}
{{#why}}
**Why:** {{why}}

{{/why}}
{{#fix}}
**Fix:** {{fix}}

{{/fix}}
{{#hasSteps}}
{{#steps}}
{{number}}. {{text}}
{{/steps}}

{{/hasSteps}}
{{#whoFixes}}
**Who fixes it:** {{whoFixes}}

{{/whoFixes}}
{{#hasDocs}}
**Docs:**{{#docs}} {{{url}}}{{/docs}}

{{/hasDocs}}
{{#bcPage}}
**In Business Central:** {{{url}}}

{{/bcPage}}
{{#bcChecklist}}
- [ ] {{text}}
{{/bcChecklist}}
{{#bcPage}}

{{/bcPage}}
{{#hasEvidence}}
| Evidence | |
| --- | --- |
{{#evidence}}
| {{key}} | {{value}} |
{{/evidence}}

{{/hasEvidence}}
{{#explainCommand}}
More: `{{explainCommand}}`
{{/explainCommand}}
{{/failures}}
{{/hasFailures}}
{{#hasSkipped}}

### Skipped

{{#skippedResults}}
- {{title}} (`{{id}}`){{#detail}}: {{detail}}{{/detail}}
{{/skippedResults}}
{{/hasSkipped}}
"""# + "\n"
    ),
    (
      "text.mustache",
      #"""
{{% CONTENT_TYPE: TEXT }}
{{! A short plain-text ticket summary: what was checked, the verdict, and the one problem to fix first. }}
S2S Doctor {{toolVersion}}: {{statusLabel}} ({{headline}})
Registration: {{deployment}}{{#targetLine}}, {{targetLine}}{{/targetLine}}
Run: {{startedAt}} ({{durationSeconds}} s)
{{#primary}}

Problem: {{glyph}} {{title}} ({{id}}) {{statusLabel}}{{#reason}}, {{reason}}{{/reason}}
{{#summary}}
  {{summary}}
{{/summary}}
{{#detail}}
  Detail: {{detail}}
{{/detail}}
{{#fix}}
  Fix: {{fix}}
{{/fix}}
{{#whoFixes}}
  Who fixes it: {{whoFixes}}
{{/whoFixes}}
{{#first(docs)}}
  Docs: {{url}}
{{/first(docs)}}
{{#bcPage}}
  In Business Central: {{url}}
{{/bcPage}}
{{#bcChecklist}}
    [ ] {{text}}
{{/bcChecklist}}
{{#hasEvidence}}
  Evidence:
{{#evidence}}
    {{key}}: {{value}}
{{/evidence}}
{{/hasEvidence}}
{{/primary}}
{{#hasOtherFailures}}

Also:
{{#otherFailures}}
  {{glyph}} {{title}} ({{id}}) {{statusLabel}}{{#reason}}, {{reason}}{{/reason}}{{#summary}}: {{summary}}{{/summary}}
{{/otherFailures}}
{{/hasOtherFailures}}

{{verdict}}
"""# + "\n"
    ),
  ]
}
