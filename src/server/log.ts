// One-line logs to standard error, filtered by BUREAU_LOG_LEVEL. Standard
// output is kept for the lines an operator reads at start (listeners, CA).
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(level: Level, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const at = (l: Level) => (message: string): void => {
    if (ORDER[l] >= ORDER[level]) write(`${new Date().toISOString()} ${l} ${message}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
