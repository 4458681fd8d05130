/**
 * Removes credentials from anything that may reach a log line, an API answer or a metric label.
 * RTSP/HTTP URLs lose their `user:pass@`, and query parameters that look like secrets are masked.
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*(?::[^/@\s]*)?)@/gi;
const SECRET_PARAMS = /([?&](?:password|passwd|pwd|pass|token|auth|key|secret|sig|signature|user|username)=)[^&\s#]*/gi;

/** Returns `text` with every URL credential replaced by `***`. */
export function redact(text: string): string {
  return text.replace(URL_USERINFO, '$1***@').replace(SECRET_PARAMS, '$1***');
}

/** Redacts a URL for display; invalid URLs are still redacted as text. */
export function redactUrl(url: string): string {
  return redact(url);
}
