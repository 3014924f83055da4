// Content lines of iCalendar and vCard text as they were sent: each logical
// line keeps the exact bytes of its physical lines (folds, line ends, blank
// lines after it), so that a file holding many objects can be cut into one
// text per object without changing a byte of any of them.

export interface RawLine {
  /** the physical lines, line ends included, exactly as in the source */
  raw: string;
  /** the unfolded content, without line end */
  logical: string;
  /** the line end of the first physical line ('' at the end of the text) */
  readonly eol: string;
}

export interface Block {
  /** upper-case component name (VCALENDAR, VEVENT, VCARD…) */
  readonly name: string;
  readonly begin: RawLine;
  end: RawLine | null;
  /** property lines and sub-blocks, in order */
  readonly body: (RawLine | Block)[];
}

/** Whether a logical line is a vCard 2.1 quoted-printable one, whose value may go on after a soft break (`=` at the line end). */
function isQuotedPrintable(logical: string): boolean {
  const colon = valueStart(logical);
  const head = colon < 0 ? logical : logical.slice(0, colon - 1);
  return /;(ENCODING=)?QUOTED-PRINTABLE(;|$)/i.test(head);
}

/** Splits text into logical lines (RFC 5545 §3.1 folding; `quotedPrintable` also joins vCard 2.1 soft breaks). */
export function contentLines(source: string, quotedPrintable = false): RawLine[] {
  const out: RawLine[] = [];
  const re = /([^\r\n]*)(\r*\n|\r|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) {
    if (m[0] === '') break;
    const [phys, content, eol] = [m[0], m[1]!, m[2]!];
    const prev = out[out.length - 1];
    if (prev && (content.startsWith(' ') || content.startsWith('\t'))) {
      prev.raw += phys;
      prev.logical += content.slice(1);
    } else if (prev && quotedPrintable && prev.logical.endsWith('=') && isQuotedPrintable(prev.logical)) {
      prev.raw += phys;
      prev.logical = prev.logical.slice(0, -1) + content;
    } else if (prev && content.trim() === '') {
      prev.raw += phys;
    } else {
      out.push({ raw: phys, logical: content, eol });
    }
    if (re.lastIndex >= source.length) break;
  }
  return out;
}

/** Where the value starts: after the first colon outside a quoted parameter value. */
export function valueStart(logical: string): number {
  let quoted = false;
  for (let i = 0; i < logical.length; i++) {
    const ch = logical[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) return i + 1;
  }
  return -1;
}

/** The property name of a logical line, upper case, without a vCard group (`item1.`). */
export function nameOf(logical: string): string {
  const m = /^([A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)/.exec(logical);
  return m ? m[2]!.toUpperCase() : '';
}

export function valueOf(logical: string): string {
  const i = valueStart(logical);
  return i < 0 ? '' : logical.slice(i);
}

/** BEGIN/END nesting of the lines; lines outside any block are dropped. */
export function blocksOf(lines: readonly RawLine[]): Block[] {
  const top: Block[] = [];
  const stack: Block[] = [];
  for (const line of lines) {
    const name = nameOf(line.logical);
    if (name === 'BEGIN') {
      const b: Block = { name: valueOf(line.logical).trim().toUpperCase(), begin: line, end: null, body: [] };
      if (stack.length) stack[stack.length - 1]!.body.push(b);
      else top.push(b);
      stack.push(b);
    } else if (name === 'END') {
      const v = valueOf(line.logical).trim().toUpperCase();
      const i = stack.map((b) => b.name).lastIndexOf(v);
      if (i >= 0) {
        stack[i]!.end = line;
        stack.length = i;
      }
    } else if (stack.length) {
      stack[stack.length - 1]!.body.push(line);
    }
  }
  return top;
}

export function isBlock(x: RawLine | Block): x is Block {
  return 'body' in x;
}

/** The exact text of a block. */
export function rawOf(b: Block): string {
  return b.begin.raw + b.body.map((x) => (isBlock(x) ? rawOf(x) : x.raw)).join('') + (b.end?.raw ?? '');
}

/** The logical lines of a block and its sub-blocks, in order. */
export function logicalOf(b: Block): string[] {
  return [b.begin.logical, ...b.body.flatMap((x) => (isBlock(x) ? logicalOf(x) : [x.logical])), ...(b.end ? [b.end.logical] : [])];
}

/** The line end a text mostly uses. */
export function lineEnd(lines: readonly RawLine[]): string {
  const crlf = lines.filter((l) => l.eol === '\r\n').length;
  return crlf * 2 >= lines.length ? '\r\n' : '\n';
}
