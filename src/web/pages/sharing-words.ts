// Words and form fields the Sharing pages have in common (src/web/pages/sharing.ts,
// sharing-items.ts): collections, items and presets in the reader's language,
// and the checked fields of their forms.
import { InvalidInput } from '../../core/errors.ts';
import { SHARE_PRESETS } from '../../core/sharing.ts';
import type { Right, Tool } from '../../core/types.ts';
import type { Ctx } from '../app.ts';
import { html, type Html } from '../html.ts';
import { t, type Lang } from '../i18n.ts';

/** A collection in words: 'calendar “Calendar”'. */
export function collectionWords(l: Lang, tool: Tool, path: string): string {
  switch (tool) {
    case 'calendar': return t(l, 'calendar “{path}”', { path });
    case 'contacts': return t(l, 'address book “{path}”', { path });
    case 'files': return t(l, 'folder “{path}”', { path });
    case 'mail': return t(l, 'mailbox “{path}”', { path });
  }
}

/** 'a calendar', 'an address book'… */
export function aCollection(l: Lang, tool: Tool): string {
  switch (tool) {
    case 'calendar': return t(l, 'a calendar');
    case 'contacts': return t(l, 'an address book');
    case 'files': return t(l, 'a folder');
    case 'mail': return t(l, 'a mailbox');
  }
}

/** 'event', 'contact'… */
export function itemThing(l: Lang, tool: Tool): string {
  switch (tool) {
    case 'calendar': return t(l, 'event');
    case 'contacts': return t(l, 'contact');
    case 'files': return t(l, 'file');
    case 'mail': return t(l, 'message');
  }
}

export function presetTitle(l: Lang, preset: string): string {
  switch (preset) {
    case 'read': return t(l, 'read');
    case 'read-write': return t(l, 'read and write');
    case 'freebusy': return t(l, 'busy times only');
    case 'deposit': return t(l, 'drop files in only');
    default: return preset;
  }
}

/** The presets that make sense on a collection of the tool, or on one item. */
export function presetsFor(tool: Tool, onItem: boolean): string[] {
  if (onItem) return ['read', 'read-write'];
  if (tool === 'calendar') return ['read', 'read-write', 'freebusy'];
  if (tool === 'files') return ['read', 'read-write', 'deposit'];
  return ['read', 'read-write'];
}

export function presetMenu(l: Lang, id: string, label: string, presets: readonly string[], selected: string | null): Html {
  return html`<select id="${id}" name="rights" aria-label="${label}">${presets.map((p) => html`<option value="${p}"${p === selected ? html` selected` : ''}>${presetTitle(l, p)}</option>`)}</select>`;
}

/** A form field naming something by its number. */
export type IdWhat = 'share' | 'collection' | 'group' | 'item';

/** A positive whole number given in a form field (or a query parameter), else InvalidInput naming the field. */
export function idField(ctx: Ctx, name: IdWhat, fields: Readonly<Record<string, string>> = ctx.state.form): number {
  const l = ctx.state.lang;
  const text = (fields[name] ?? '').trim();
  if (text === '') {
    switch (name) {
      case 'share': throw new InvalidInput(name, t(l, 'choose the share'));
      case 'collection': throw new InvalidInput(name, t(l, 'choose the thing to share'));
      case 'group': throw new InvalidInput(name, t(l, 'choose the group'));
      case 'item': throw new InvalidInput(name, t(l, 'choose the event, contact or file to share'));
    }
  }
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    const given = JSON.stringify(text.slice(0, 40));
    switch (name) {
      case 'share': throw new InvalidInput(name, t(l, '{given} does not name a share', { given }));
      case 'collection': throw new InvalidInput(name, t(l, '{given} does not name a thing to share', { given }));
      case 'group': throw new InvalidInput(name, t(l, '{given} does not name a group', { given }));
      case 'item': throw new InvalidInput(name, t(l, '{given} does not name an event, contact or file', { given }));
    }
  }
  return Number(text);
}

/** The rights of a preset the form chose, checked against those that make sense for the tool. */
export function presetField(ctx: Ctx, tool: Tool, onItem: boolean): readonly Right[] {
  const l = ctx.state.lang;
  const name = (ctx.state.form.rights ?? '').trim();
  if (name === '') throw new InvalidInput('rights', t(l, 'choose the rights'));
  const rights = Object.hasOwn(SHARE_PRESETS, name) ? SHARE_PRESETS[name] : undefined;
  if (!rights) {
    throw new InvalidInput('rights', t(l, '{given} is not a choice of rights; choose one of {choices}', { given: JSON.stringify(name.slice(0, 40)), choices: Object.keys(SHARE_PRESETS).join(', ') }));
  }
  if (!presetsFor(tool, onItem).includes(name)) {
    throw new InvalidInput('rights', onItem
      ? t(l, '{rights} cannot be given on a single {thing}', { rights: presetTitle(l, name), thing: itemThing(l, tool) })
      : t(l, '{rights} cannot be given on {thing}', { rights: presetTitle(l, name), thing: aCollection(l, tool) }));
  }
  return rights;
}

