// The widget's words in English, Ukrainian, Russian and Polish. The widget's config picks one, or "auto" follows
// the browser's languages.
const STRINGS = {
  en: {
    title: 'Chat with us',
    greeting: 'Hi! How can we help you today?',
    offline: 'We are offline right now. Leave us a message and we will answer as soon as we are back.',
    placeholder: 'Write a message…',
    composerLabel: 'Your message',
    send: 'Send message',
    attach: 'Attach a file',
    removeFile: 'Remove {name}',
    close: 'Close chat',
    messages: 'Conversation',
    you: 'You',
    support: 'Support',
    typing: '{name} is typing…',
    someoneTyping: 'Someone is typing…',
    sending: 'Sending…',
    failed: 'Not sent. Select to try again.',
    seen: 'Seen',
    reconnecting: 'Connection lost. Reconnecting…',
    fallback: 'Connected (slow mode)',
    prechatTitle: 'Before we start',
    prechatIntro: 'Tell us how to reach you, in case we answer after you leave.',
    name: 'Name',
    email: 'Email',
    phone: 'Phone',
    required: 'required',
    start: 'Start chat',
    tooLarge: '{name} is too large (the limit is {limit}).',
    rejected: '{name} cannot be attached: {reason}',
    fileType: 'files of this type are not accepted',
    tooFast: 'too many files at once, wait a moment',
    tryAgain: 'something went wrong, try again',
    checkField: '{field}: please check what you typed.',
    formFailed: 'That did not go through. Please try again.',
    tooLong: 'The message is too long (at most {limit} characters).',
    unavailable: 'This chat is not available here.',
    via: { email: 'by email', telegram: 'on Telegram', api: 'through our systems' },
    download: 'Download {name}'
  },
  uk: {
    title: 'Напишіть нам',
    greeting: 'Вітаємо! Чим можемо допомогти?',
    offline: 'Зараз ми не на зв’язку. Залиште повідомлення, і ми відповімо, щойно повернемося.',
    placeholder: 'Напишіть повідомлення…',
    composerLabel: 'Ваше повідомлення',
    send: 'Надіслати',
    attach: 'Додати файл',
    removeFile: 'Прибрати {name}',
    close: 'Закрити чат',
    messages: 'Розмова',
    you: 'Ви',
    support: 'Підтримка',
    typing: '{name} друкує…',
    someoneTyping: 'Хтось друкує…',
    sending: 'Надсилаємо…',
    failed: 'Не надіслано. Натисніть, щоб повторити.',
    seen: 'Переглянуто',
    reconnecting: 'Зв’язок втрачено. Підключаємося знову…',
    fallback: 'На зв’язку (повільний режим)',
    prechatTitle: 'Перш ніж почати',
    prechatIntro: 'Як з вами зв’язатися, якщо ми відповімо, коли ви вже підете?',
    name: 'Ім’я',
    email: 'Email',
    phone: 'Телефон',
    required: 'обов’язково',
    start: 'Почати чат',
    tooLarge: '{name} завеликий (не більше {limit}).',
    rejected: '{name} не можна додати: {reason}',
    fileType: 'файли такого типу не приймаються',
    tooFast: 'забагато файлів одразу, зачекайте хвилинку',
    tryAgain: 'щось пішло не так, спробуйте ще раз',
    checkField: '{field}: перевірте, що ви ввели.',
    formFailed: 'Не вдалося надіслати. Спробуйте ще раз.',
    tooLong: 'Повідомлення задовге (не більше {limit} символів).',
    unavailable: 'Цей чат тут недоступний.',
    via: { email: 'електронною поштою', telegram: 'у Telegram', api: 'через наші системи' },
    download: 'Завантажити {name}'
  },
  ru: {
    title: 'Напишите нам',
    greeting: 'Здравствуйте! Чем можем помочь?',
    offline: 'Сейчас мы не на связи. Оставьте сообщение, и мы ответим, как только вернёмся.',
    placeholder: 'Напишите сообщение…',
    composerLabel: 'Ваше сообщение',
    send: 'Отправить',
    attach: 'Прикрепить файл',
    removeFile: 'Убрать {name}',
    close: 'Закрыть чат',
    messages: 'Переписка',
    you: 'Вы',
    support: 'Поддержка',
    typing: '{name} печатает…',
    someoneTyping: 'Кто-то печатает…',
    sending: 'Отправляем…',
    failed: 'Не отправлено. Нажмите, чтобы повторить.',
    seen: 'Просмотрено',
    reconnecting: 'Связь потеряна. Подключаемся снова…',
    fallback: 'На связи (медленный режим)',
    prechatTitle: 'Прежде чем начать',
    prechatIntro: 'Как с вами связаться, если мы ответим, когда вы уже уйдёте?',
    name: 'Имя',
    email: 'Email',
    phone: 'Телефон',
    required: 'обязательно',
    start: 'Начать чат',
    tooLarge: '{name} слишком большой (не больше {limit}).',
    rejected: '{name} нельзя прикрепить: {reason}',
    fileType: 'файлы такого типа не принимаются',
    tooFast: 'слишком много файлов сразу, подождите минутку',
    tryAgain: 'что-то пошло не так, попробуйте ещё раз',
    checkField: '{field}: проверьте, что вы ввели.',
    formFailed: 'Не удалось отправить. Попробуйте ещё раз.',
    tooLong: 'Сообщение слишком длинное (не больше {limit} символов).',
    unavailable: 'Этот чат здесь недоступен.',
    via: { email: 'по электронной почте', telegram: 'в Telegram', api: 'через наши системы' },
    download: 'Скачать {name}'
  },
  pl: {
    title: 'Napisz do nas',
    greeting: 'Dzień dobry! W czym możemy pomóc?',
    offline: 'Jesteśmy teraz niedostępni. Zostaw wiadomość, a odpowiemy, gdy tylko wrócimy.',
    placeholder: 'Napisz wiadomość…',
    composerLabel: 'Twoja wiadomość',
    send: 'Wyślij',
    attach: 'Dołącz plik',
    removeFile: 'Usuń {name}',
    close: 'Zamknij czat',
    messages: 'Rozmowa',
    you: 'Ty',
    support: 'Obsługa',
    typing: '{name} pisze…',
    someoneTyping: 'Ktoś pisze…',
    sending: 'Wysyłanie…',
    failed: 'Nie wysłano. Wybierz, aby spróbować ponownie.',
    seen: 'Wyświetlono',
    reconnecting: 'Utracono połączenie. Łączenie…',
    fallback: 'Połączono (tryb wolny)',
    prechatTitle: 'Zanim zaczniemy',
    prechatIntro: 'Jak możemy się z Tobą skontaktować, jeśli odpowiemy, gdy już wyjdziesz?',
    name: 'Imię',
    email: 'E-mail',
    phone: 'Telefon',
    required: 'wymagane',
    start: 'Rozpocznij czat',
    tooLarge: '{name} jest za duży (limit to {limit}).',
    rejected: 'Nie można dołączyć {name}: {reason}',
    fileType: 'pliki tego typu nie są przyjmowane',
    tooFast: 'za dużo plików naraz, poczekaj chwilę',
    tryAgain: 'coś poszło nie tak, spróbuj ponownie',
    checkField: '{field}: sprawdź, co zostało wpisane.',
    formFailed: 'Nie udało się wysłać. Spróbuj ponownie.',
    tooLong: 'Wiadomość jest za długa (najwyżej {limit} znaków).',
    unavailable: 'Ten czat nie jest tu dostępny.',
    via: { email: 'e-mailem', telegram: 'na Telegramie', api: 'przez nasze systemy' },
    download: 'Pobierz {name}'
  }
};

export const LANGUAGES = Object.keys(STRINGS);

/** The language to use: the configured one, else the first of the browser's languages we speak, else English. */
export function pickLanguage(configured, browserLanguages) {
  if (configured && configured !== 'auto' && STRINGS[configured]) return configured;
  for (const tag of browserLanguages || []) {
    const code = String(tag).toLowerCase().split('-')[0];
    if (STRINGS[code]) return code;
  }
  return 'en';
}

/** A translator: t('typing', {name: 'Anna'}). */
export function translator(language) {
  const table = STRINGS[language] || STRINGS.en;
  const t = (key, values) => {
    const text = table[key] ?? STRINGS.en[key] ?? key;
    if (typeof text !== 'string') return text;
    return text.replace(/\{(\w+)\}/g, (all, name) => (values && name in values ? values[name] : all));
  };
  t.language = language;
  return t;
}
