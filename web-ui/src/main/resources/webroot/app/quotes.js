// Splits an email's text into what the customer wrote now and the quoted history or signature below it, so the
// thread shows the new part and folds the rest behind an "expand" button. The full text is never changed.

const REPLY_HEADERS = [
  /^On .{3,200}wrote:\s*$/i, // Gmail, Apple Mail, Thunderbird (en)
  /^Am .{3,200}schrieb.{0,80}:\s*$/i,
  /^Le .{3,200}a écrit\s*:\s*$/i,
  /^.{3,200}(пише|написав|написала|написал|написала\(а\)|написал\(а\)):\s*$/i, // uk, ru
  /^(W dniu|Dnia) .{3,200}(pisze|napisał|napisała|napisał\(a\)):\s*$/i, // pl
  /^.{3,200}napisał(a|\(a\))?:\s*$/i,
];
const SEPARATORS = [
  /^-{2,}\s*(Original Message|Початкове повідомлення|Исходное сообщение|Oryginalna wiadomość|Forwarded message|Пересланное сообщение|Переслане повідомлення|Wiadomość przekazana dalej)\s*-{2,}\s*$/i,
  /^_{10,}\s*$/, // Outlook's rule above "From: ... Sent: ..."
  /^(From|Від|От|Od):\s.+$/i,
];
const SIGNATURE = /^--\s?$/;

/**
 * @returns {{visible: string, folded: string, kind: 'quote'|'signature'|null}} the text split at the first line
 *   where history or a signature starts; folded is empty when there is nothing to fold.
 */
export function splitQuoted(text) {
  if (!text) return { visible: '', folded: '', kind: null };
  const lines = text.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    const joined = `${line} ${(lines[i + 1] || '').trim()}`;
    let kind = null;
    if (REPLY_HEADERS.some((re) => re.test(line))) kind = 'quote';
    else if (REPLY_HEADERS.some((re) => re.test(joined)) && /^>/.test((lines[i + 2] || '').trim())) kind = 'quote';
    else if (SEPARATORS.some((re) => re.test(line)) && (i === lines.length - 1 || followedByHeaders(lines, i))) {
      kind = 'quote';
    } else if (line.startsWith('>') && restIsQuoted(lines, i)) kind = 'quote';
    else if (SIGNATURE.test(lines[i]) && lines.length - i <= 12) kind = 'signature';
    if (kind) {
      const visible = lines.slice(0, i).join('\n').replace(/\s+$/, '');
      // Nothing new above the fold (all of it quoted): show the whole message rather than an empty one.
      if (!visible.trim() || restIsQuoted(lines.slice(0, i), 0)) return { visible: text, folded: '', kind: null };
      return { visible, folded: lines.slice(i).join('\n'), kind };
    }
  }
  return { visible: text, folded: '', kind: null };
}

function restIsQuoted(lines, from) {
  return lines.slice(from).every((l) => !l.trim() || l.trim().startsWith('>'));
}

/** A separator line only counts when mail headers (From/Sent/To/Subject or their translations) follow. */
function followedByHeaders(lines, index) {
  const next = lines.slice(index, index + 6).join('\n');
  return /(^|\n)\s*(From|Sent|To|Subject|Date|Від|Надіслано|Кому|Тема|От|Отправлено|Od|Wysłano|Do|Temat):/i.test(next);
}
