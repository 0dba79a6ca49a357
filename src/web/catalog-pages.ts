/**
 * The app store's catalog pages: every template of every catalog (search and category filter),
 * one template with its README and the request form, and the page after a request. Pure.
 */
import type { Catalog, CatalogTemplate, TemplateVersion } from '../catalog/types.js';
import type { FormField, FormGroup } from './form.js';
import { type Html, html, join } from './html.js';
import { breadcrumbs, page } from './layout.js';
import { renderMarkdown } from './markdown.js';
import { type Author, META, type MetaField } from './request.js';

export interface CatalogQuery {
  q: string;
  category: string;
}

function templateUrl(template: CatalogTemplate, version?: TemplateVersion): string {
  const base = `/catalog/${encodeURIComponent(template.catalog)}/${encodeURIComponent(template.id)}`;
  return version ? `${base}?version=${encodeURIComponent(version.folder)}` : base;
}

function iconUrl(template: CatalogTemplate): string {
  return `/icons/${encodeURIComponent(template.catalog)}/${encodeURIComponent(template.id)}`;
}

/** The version shown by default: the template's default, else the newest. */
export function defaultVersion(template: CatalogTemplate): TemplateVersion | undefined {
  return template.versions.find((v) => v.folder === template.defaultFolder) ?? template.versions.at(-1);
}

function searchText(template: CatalogTemplate): string {
  return [template.name, template.id, template.description ?? '', template.catalog, ...template.categories].join(' ').toLowerCase();
}

export function matches(template: CatalogTemplate, query: CatalogQuery): boolean {
  const words = query.q.toLowerCase().split(/\s+/).filter(Boolean);
  const text = searchText(template);
  return words.every((w) => text.includes(w)) && (query.category === '' || template.categories.includes(query.category));
}

function icon(template: CatalogTemplate, hasIcon: boolean): Html {
  if (hasIcon) return html`<img class="icon" src="${iconUrl(template)}" alt="" width="48" height="48">`;
  return html`<span class="icon-fallback" aria-hidden="true">${(template.name[0] ?? '?').toUpperCase()}</span>`;
}

export function catalogPage(catalogs: readonly Catalog[], query: CatalogQuery, hasIcon: (t: CatalogTemplate) => boolean): Html {
  const templates = catalogs.flatMap((c) => c.templates).filter((t) => t.versions.length > 0);
  const categories = [...new Set(templates.flatMap((t) => t.categories))].sort((a, b) => a.localeCompare(b));
  const shown = templates.filter((t) => matches(t, query));
  const cards = templates.map((template) => {
    const version = defaultVersion(template);
    const versions = template.versions.map((v) => v.version).join(', ');
    return html`<li class="card" data-search="${searchText(template)}" data-categories="${template.categories.join('\n')}"${matches(template, query) ? '' : html` hidden`}>
${icon(template, hasIcon(template))}<h2><a href="${templateUrl(template)}">${template.name}</a></h2>
<p>${template.description ?? ''}</p>
<p class="muted">${template.categories.length ? template.categories.join(', ') : 'No category'} · catalog ${template.catalog}</p>
<p class="muted">Versions: ${versions}${version ? ` (default ${version.version})` : ''}</p>
</li>`;
  });
  const body = html`<h1>App store</h1>
<p>Pick an app, answer its questions, and corral opens a merge request that adds your stack to the repository.
Once it is merged, the stack runs on the hosts.</p>
<form class="search" role="search" method="get" action="/catalog">
<div><label for="q">Search</label><input type="search" id="q" name="q" value="${query.q}" autocomplete="off"></div>
<div><label for="category">Category</label><select id="category" name="category"><option value="">All categories</option>${categories.map(
    (c) => html`<option value="${c}"${c === query.category ? ' selected' : ''}>${c}</option>`,
  )}</select></div>
<button type="submit" class="secondary">Search</button>
</form>
<p id="count" role="status">${shown.length} ${shown.length === 1 ? 'template' : 'templates'}</p>
<ul class="cards">${cards}</ul>`;
  return page({ title: 'App store', section: 'catalog', body });
}

export interface TemplatePageInput {
  template: CatalogTemplate;
  version: TemplateVersion;
  hasIcon: boolean;
  groups: FormGroup[];
  /** Stack name, version folder, author name and e-mail as submitted. */
  meta: Partial<Record<MetaField, string>>;
  metaErrors: ReadonlyMap<MetaField, string>;
  otherErrors: readonly string[];
  /** Who the request is attributed to when a proxy names the user. */
  proxyAuthor?: Author;
  /** The form asks for name and e-mail (a writable remote and no proxy user). */
  askAuthor: boolean;
  /** Where requests go: `branch request/<name> of <remote>`, or undefined (the file is shown to commit). */
  destination?: string;
}

export function templatePage(input: TemplatePageInput): Html {
  const { template, version } = input;
  const readme = version.readme ?? template.readme;
  const body = html`${breadcrumbs([{ label: 'App store', href: '/catalog' }, { label: template.name }])}
<div class="template-head">${icon(template, input.hasIcon)}<div><h1>${template.name}</h1><p>${version.description ?? template.description ?? ''}</p></div></div>
${templateFacts(template, version)}
<div class="columns">
<section aria-labelledby="about">
<h2 id="about">About version ${version.version}</h2>
<div class="readme">${readme ? renderMarkdown(readme) : html`<p class="muted">This version has no README.</p>`}</div>
</section>
<section aria-labelledby="request">
<h2 id="request">Request this app</h2>
${requestForm(input)}
</section>
</div>`;
  return page({ title: template.name, section: 'catalog', body });
}

function templateFacts(template: CatalogTemplate, version: TemplateVersion): Html {
  const project = template.projectURL && /^https?:\/\//i.test(template.projectURL) ? template.projectURL : undefined;
  return html`<dl class="facts">
<dt>Catalog</dt><dd>${template.catalog}</dd>
<dt>Category</dt><dd>${template.categories.join(', ') || '—'}</dd>
<dt>Versions</dt><dd><ul class="plain">${[...template.versions]
    .reverse()
    .map((v) =>
      v === version
        ? html`<li aria-current="true"><strong>${v.version}</strong> (shown)${v.folder === template.defaultFolder ? ' · default' : ''}</li>`
        : html`<li><a href="${templateUrl(template, v)}">${v.version}</a>${v.folder === template.defaultFolder ? ' · default' : ''}</li>`,
    )}</ul></dd>
${version.upgradeFrom ? html`<dt>Upgrades from</dt><dd><code>${version.upgradeFrom}</code></dd>` : ''}
${template.maintainer ? html`<dt>Maintainer</dt><dd>${template.maintainer}</dd>` : ''}
${template.license ? html`<dt>License</dt><dd>${template.license}</dd>` : ''}
${project ? html`<dt>Project</dt><dd><a href="${project}" rel="noopener noreferrer nofollow">${project}</a></dd>` : ''}
</dl>`;
}

function requestForm(input: TemplatePageInput): Html {
  const errorItems = [
    ...[...input.metaErrors].map(([field, message]) => ({ href: `#${metaId(field)}`, text: `${metaLabel(field)}: ${message}` })),
    ...input.groups
      .flatMap((g) => g.fields)
      .filter((f) => f.error)
      .map((f) => ({ href: `#${f.id}`, text: `${f.label}: ${f.error}` })),
    ...input.otherErrors.map((text) => ({ href: '#request', text })),
  ];
  const summary =
    errorItems.length === 0
      ? ''
      : html`<div class="error-summary" id="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">Nothing was written: ${errorItems.length === 1 ? 'one problem' : `${errorItems.length} problems`} to fix</h2>
<ul>${errorItems.map((item) => html`<li><a href="${item.href}">${item.text}</a></li>`)}</ul></div>`;
  const action = templateUrl(input.template, input.version);
  return html`${summary}<form method="post" action="${action}" novalidate>
<p class="hint">Fields marked <span class="req" aria-hidden="true">*</span><span class="sr">with a star</span> are required.
${input.destination ? html`The request goes to ${input.destination}.` : 'No writable remote is configured: you get the file to commit.'}</p>
<fieldset><legend>The stack</legend>
${metaText(META.stack, 'Stack name', input, { required: true, hint: 'Lowercase letters, digits and "-"; the folder stacks/<name>/ in the repository.' })}
${versionSelect(input)}
${authorFields(input)}
</fieldset>
${input.groups.map(
  (group) =>
    html`<fieldset><legend>${group.name ?? 'Answers'}</legend>${group.fields.length === 0 ? html`<p class="muted">No questions.</p>` : ''}${group.fields.map(field)}</fieldset>`,
)}
<button type="submit">Request stack</button>
</form>`;
}

function metaId(field: MetaField): string {
  return `meta-${field}`;
}

function metaLabel(field: MetaField): string {
  return { stack: 'Stack name', version: 'Version', author_name: 'Your name', author_email: 'Your e-mail' }[field];
}

function metaText(
  field: MetaField,
  label: string,
  input: TemplatePageInput,
  options: { required: boolean; hint?: string; type?: string; autocomplete?: string },
): Html {
  const id = metaId(field);
  const error = input.metaErrors.get(field);
  return fieldFrame({
    id,
    label,
    required: options.required,
    ...(options.hint ? { hint: options.hint } : {}),
    ...(error ? { error } : {}),
    control: (describedBy) =>
      html`<input type="${options.type ?? 'text'}" id="${id}" name="${field}" value="${input.meta[field] ?? ''}"${describedBy}${error ? html` aria-invalid="true"` : ''}${options.required ? ' required' : ''} autocomplete="${options.autocomplete ?? 'off'}">`,
  });
}

function versionSelect(input: TemplatePageInput): Html {
  const id = metaId(META.version);
  const error = input.metaErrors.get(META.version);
  return fieldFrame({
    id,
    label: 'Version',
    required: true,
    hint: 'The questions below are those of the version shown; the list of versions above shows each one.',
    ...(error ? { error } : {}),
    control: (describedBy) =>
      html`<select id="${id}" name="${META.version}"${describedBy}>${[...input.template.versions]
        .reverse()
        .map(
          (v) =>
            html`<option value="${v.folder}"${v === input.version ? ' selected' : ''}>${v.version}${v.folder === input.template.defaultFolder ? ' (default)' : ''}</option>`,
        )}</select>`,
  });
}

function authorFields(input: TemplatePageInput): Html {
  if (input.proxyAuthor)
    return html`<p>Requested as <strong>${input.proxyAuthor.name}</strong> &lt;${input.proxyAuthor.email}&gt; (named by the sign-in proxy).</p>`;
  if (!input.askAuthor) return html``;
  return join([
    metaText(META.authorName, 'Your name', input, { required: true, hint: 'The author of the commit.', autocomplete: 'name' }),
    metaText(META.authorEmail, 'Your e-mail', input, { required: true, type: 'email', autocomplete: 'email' }),
  ]);
}

interface FrameInput {
  id: string;
  label: string;
  required: boolean;
  hint?: string;
  error?: string;
  check?: boolean;
  control: (describedBy: Html) => Html;
}

/** A label, a hint, an error and the control, tied together with for / aria-describedby. */
function fieldFrame(input: FrameInput): Html {
  const described = [input.hint ? `${input.id}-hint` : '', input.error ? `${input.id}-error` : ''].filter(Boolean).join(' ');
  const describedBy = described ? html` aria-describedby="${described}"` : html``;
  const label = html`<label for="${input.id}">${input.label}${input.required ? html` <span class="req" aria-hidden="true">*</span><span class="sr"> (required)</span>` : ''}</label>`;
  const hint = input.hint ? html`<p class="hint" id="${input.id}-hint">${input.hint}</p>` : '';
  const error = input.error ? html`<p class="error" id="${input.id}-error"><span class="sr">Error: </span>${input.error}</p>` : '';
  const classes = `field${input.check ? ' check' : ''}${input.error ? ' has-error' : ''}`;
  if (input.check) return html`<div class="${classes}">${input.control(describedBy)}${label}${hint}${error}</div>`;
  return html`<div class="${classes}">${label}${hint}${error}${input.control(describedBy)}</div>`;
}

function field(f: FormField): Html {
  const hintParts = [f.description, f.rules.join(', '), f.retype ? 'Type it again: secrets are never sent back to the browser.' : ''];
  const hint = hintParts.filter(Boolean).join(' · ');
  return fieldFrame({
    id: f.id,
    label: f.label,
    required: f.required,
    ...(hint ? { hint } : {}),
    ...(f.error ? { error: f.error } : {}),
    check: f.kind === 'checkbox',
    control: (describedBy) => control(f, describedBy),
  });
}

function control(f: FormField, describedBy: Html): Html {
  const common = html`id="${f.id}" name="${f.name}"${describedBy}${f.error ? html` aria-invalid="true"` : ''}${f.required ? ' required' : ''}`;
  const lengths = html`${f.minLength === undefined ? '' : html` minlength="${f.minLength}"`}${f.maxLength === undefined ? '' : html` maxlength="${f.maxLength}"`}`;
  switch (f.kind) {
    case 'number':
      return html`<input type="number" ${common} value="${f.value}" step="${f.step ?? 'any'}"${f.min === undefined ? '' : html` min="${f.min}"`}${f.max === undefined ? '' : html` max="${f.max}"`} inputmode="${f.step === '1' ? 'numeric' : 'decimal'}">`;
    case 'checkbox':
      return html`<input type="hidden" name="${f.name}" value="false"><input type="checkbox" ${common} value="true"${f.value === 'true' ? ' checked' : ''}>`;
    case 'select':
      return html`<select ${common}>${f.options.map((o) => html`<option value="${o.value}"${o.value === f.value ? ' selected' : ''}>${o.label}</option>`)}</select>`;
    case 'password':
      return html`<input type="password" ${common} value="" autocomplete="new-password"${lengths}>`;
    case 'textarea':
      return html`<textarea ${common} rows="5"${lengths}${f.secret ? ' autocomplete="off"' : ''}>${f.value}</textarea>`;
    case 'date':
      return html`<input type="date" ${common} value="${f.value}">`;
    default:
      return html`<input type="text" ${common} value="${f.value}"${lengths} autocomplete="off">`;
  }
}

export interface RequestedPageInput {
  template: CatalogTemplate;
  version: TemplateVersion;
  stackName: string;
  /** stack.yml as shown: secret answers masked. */
  file: { path: string; text: string };
  /** What the push did, when there is a writable remote. */
  pushed?: { branch: string; commit: string; remote: string; mergeRequestUrl?: string };
  secretsMasked: boolean;
}

export function requestedPage(input: RequestedPageInput): Html {
  const stackUrl = `/stacks/${encodeURIComponent(input.stackName)}`;
  const pushed = input.pushed;
  const intro = pushed
    ? html`<h1>Request sent: ${input.stackName}</h1>
<p>corral committed <code>${input.file.path}</code> on the new branch <strong><code>${pushed.branch}</code></strong> of ${pushed.remote}
(commit <code>${pushed.commit.slice(0, 12)}</code>) and pushed it.</p>
${
  pushed.mergeRequestUrl
    ? html`<p><a class="button" href="${pushed.mergeRequestUrl}" rel="noopener noreferrer">Open the merge request</a></p>`
    : html`<p>Open a merge request from <code>${pushed.branch}</code> in your git server.</p>`
}
<p>Once it is merged, the stack is created: follow it on <a href="${stackUrl}">its page</a>.</p>`
    : html`<h1>Ready to commit: ${input.stackName}</h1>
<p class="notice">No writable remote is configured, so corral wrote nothing. Add this file to the repository in a merge request;
once it is merged, the stack is created and shown on <a href="${stackUrl}">its page</a>.</p>`;
  const body = html`${breadcrumbs([
    { label: 'App store', href: '/catalog' },
    { label: input.template.name, href: templateUrl(input.template, input.version) },
    { label: 'Request' },
  ])}
${intro}
<h2>${input.file.path}</h2>
${input.secretsMasked ? html`<p class="notice">Secret answers are not shown here${pushed ? '' : ': replace each placeholder with the value before committing'}.</p>` : ''}
<pre class="file"><code>${input.file.text}</code></pre>`;
  return page({ title: `Request ${input.stackName}`, section: 'catalog', body });
}
