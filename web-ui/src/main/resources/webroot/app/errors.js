// Turns a failure into words for the agent: the server's own explanation when it gave one.
import { t } from './i18n.js';

export function describe(error) {
  if (!error) return '';
  if (typeof error === 'string') return t(error);
  if (error.key) return t(error.key, error.params);
  if (error.status === 0) return t('error.network');
  if (error.status === 403) return `${t('error.forbidden')} ${error.problem?.detail ?? ''}`.trim();
  if (error.status >= 500) return t('error.server', { id: error.problem?.requestId ?? '?' });
  return error.message || t('error.unknown');
}
