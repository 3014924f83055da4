// Commands of the operator's interface that later versions bring. They say so
// and fail, rather than pretend.
export const LATER: Readonly<Record<string, string>> = {
  backup: 'backup DIR',
  restore: 'restore DIR',
  export: 'export ADDRESS FILE',
  import: 'import ADDRESS FILE',
};
