// Turns a failure into words for the agent: in their language where the refusal is always the same, else the
// server's own explanation when it gave one (what was invalid, what conflicted).
import { t } from './i18n.js';

export function describe(error) {
  if (!error) return '';
  if (typeof error === 'string') return t(error);
  if (error.key) return t(error.key, error.params);
  if (error.status === 0) return t('error.network');
  if (error.status === 403) return `${t('error.forbidden')} ${error.problem?.detail ?? ''}`.trim();
  // Refusals that say the same whatever was asked are said in the agent's language, not the server's English.
  if (error.status === 404) return t('error.notFound');
  if (error.status === 413) return t('error.tooLarge');
  if (error.status === 429) {
    return error.retryAfter ? t('error.tooManyWait', { seconds: error.retryAfter }) : t('error.tooMany');
  }
  // A service that is unavailable for a while says why and for how long (an index being built, a database
  // failing over): the agent waits rather than reporting a bug. Any other 5xx is ours to look into.
  if (error.status === 503 && error.problem?.type === 'urn:throughline:problem:unavailable' && error.problem.detail) {
    return error.problem.detail;
  }
  if (error.status >= 500) return t('error.server', { id: error.problem?.requestId ?? '?' });
  return error.message || t('error.unknown');
}
