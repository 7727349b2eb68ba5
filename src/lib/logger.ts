import type { LoggerOptions } from 'pino';
import type { Config } from '../config/config.js';

/**
 * Log redaction: credentials and personal data never reach the log. Paths cover request headers and
 * any object logged with these keys. Customer names are personal data of the bank's clients.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
  '*.authorization',
  '*.customer_name',
  '*.email',
  'password',
  'token',
  'customer_name',
  'email',
];

export function loggerOptions(config: Pick<Config, 'log' | 'profile'>): LoggerOptions {
  return {
    level: config.log.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'commercial-loan-service' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    ...(config.log.pretty && config.profile === 'development'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } }
      : {}),
  };
}
