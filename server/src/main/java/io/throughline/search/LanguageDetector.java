package io.throughline.search;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Guesses which of en, ru, uk and pl a message is written in, from its script, the letters only one language
 * uses (і ї є ґ for Ukrainian; ы э ъ ё for Russian; ą ć ę ł ń ó ś ź ż for Polish) and a few hundred function
 * words. One pass over the text, no allocation per character; its accuracy is measured on a labelled test set
 * ({@code LanguageDetectorTest}).
 *
 * <p>It errs on the side of recall: when Russian and Ukrainian cannot be told apart (a short message with no
 * telling letter or word) both are returned, and a message mixing scripts gets the languages of each, so the
 * message is indexed in every field that might stem it correctly.
 */
final class LanguageDetector {

    /**
     * The outcome for one text.
     *
     * @param primary the most likely language, or null for a text with no letters
     * @param languages every language whose field should index the text (empty for a text with no letters)
     */
    record Detection(Language primary, Set<Language> languages) {
    }

    private static final int LETTER_WEIGHT = 2;
    private static final int MIN_SCRIPT_LETTERS = 3;

    private static final Set<String> UK_WORDS = words(
            "що", "це", "як", "але", "або", "та", "й", "чи", "щоб", "від", "після", "він", "вона", "воно", "вони",
            "мій", "моє", "моя", "мої", "твій", "його", "її", "цей", "ця", "ці", "який", "яка", "яке", "які",
            "коли", "чому", "де", "куди", "вже", "ще", "також", "тільки", "лише", "дуже", "можна", "треба",
            "потрібно", "будь", "ласка", "дякую", "доброго", "добрий", "привіт", "вітаю", "є", "була", "були",
            "буде", "будуть", "маю", "має", "отримав", "отримала", "досі", "сьогодні", "вчора", "завтра",
            "тиждень", "якщо", "бо", "навіть", "зараз", "мені", "мене", "скільки", "коштує", "замовив",
            "замовила", "отримати", "чекаю", "вибачте", "підкажіть", "допоможіть", "немає", "нема", "тобто",
            "хто", "наразі", "гроші", "грошей", "кошти", "коштів", "повернути", "хочу", "прошу", "зробити");
    private static final Set<String> RU_WORDS = words(
            "что", "это", "как", "но", "или", "и", "чтобы", "от", "после", "он", "она", "оно", "они", "мой",
            "моё", "мое", "моя", "мои", "твой", "его", "её", "ее", "их", "этот", "эта", "эти", "который", "которая",
            "которое", "которые", "когда", "почему", "где", "куда", "уже", "ещё", "еще", "также", "только",
            "очень", "можно", "нужно", "надо", "пожалуйста", "спасибо", "добрый", "здравствуйте", "привет",
            "есть", "был", "будет", "будут", "получил", "получила", "сегодня", "вчера", "завтра", "неделю",
            "неделя", "если", "потому", "даже", "сейчас", "мне", "меня", "сколько", "стоит", "заказал",
            "заказала", "получить", "жду", "извините", "подскажите", "помогите", "нет", "кто", "вот", "тоже",
            "ли", "бы", "здесь", "деньги", "денег", "вернуть", "хочу", "прошу", "сделать", "всё", "пока");
    private static final Set<String> PL_WORDS = words(
            "nie", "jest", "się", "że", "na", "w", "z", "czy", "jak", "już", "co", "mi", "mnie", "dla", "przez",
            "od", "mój", "moje", "moja", "proszę", "dzień", "dobry", "dziękuję", "jestem", "mam", "kiedy",
            "gdzie", "dlaczego", "ale", "jeszcze", "bardzo", "można", "trzeba", "było", "była", "był", "będzie",
            "tak", "ten", "ta", "te", "który", "która", "które", "twój", "wasz", "nasz", "jego", "jej", "ich",
            "tylko", "też", "także", "teraz", "dzisiaj", "wczoraj", "jutro", "tydzień", "jeśli", "bo", "nawet",
            "czekam", "przepraszam", "paczka", "paczki", "paczkę", "zamówienie", "zamówienia", "pieniądze",
            "zwrot", "chcę", "chciałbym", "chciałabym", "witam", "pozdrawiam", "jakie", "jaki", "ile", "kosztuje",
            "otrzymałem", "otrzymałam", "dostałem", "dostałam", "wciąż", "nadal", "mogę", "może", "sie", "prosze");
    private static final Set<String> EN_WORDS = words(
            "the", "an", "is", "are", "was", "were", "be", "been", "and", "or", "but", "of", "in", "at", "for",
            "with", "my", "your", "you", "it", "this", "that", "not", "have", "has", "had", "does", "did", "can",
            "could", "would", "will", "please", "thanks", "thank", "hello", "hi", "when", "where", "why", "what",
            "how", "still", "yet", "already", "get", "got", "received", "we", "they", "me", "our", "there",
            "here", "just", "from", "by", "about", "any", "some", "if", "i'm", "can't", "don't", "didn't", "it's",
            "should", "wrong", "order", "refund", "payment", "delivery", "package", "help", "need", "want",
            "again", "which", "who", "been", "yes", "today", "yesterday", "tomorrow", "week", "since");

    private LanguageDetector() {
    }

    private static Set<String> words(String... words) {
        return Set.copyOf(List.of(words));
    }

    static Detection detect(String text) {
        Scores scores = new Scores();
        int length = text.length();
        int i = 0;
        while (i < length) {
            while (i < length && !isWordChar(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < length && isWordChar(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                scores.word(text, start, i);
            }
        }
        return scores.decide();
    }

    private static boolean isWordChar(char c) {
        return Character.isLetter(c) || c == '\'' || c == '\u2019' || c == '\u02BC';
    }

    /** Evidence gathered word by word. */
    private static final class Scores {
        private int cyrillic;
        private int latin;
        private int uk;
        private int ru;
        private int pl;
        private int en;
        /** Letters of Polish's own (ą ć ę ł ń ś ź ż ó): without any, Polish words may be English ("ten", "ale"). */
        private int polishLetters;

        void word(String text, int start, int end) {
            int wordCyrillic = 0;
            int wordLatin = 0;
            for (int i = start; i < end; i++) {
                char c = Character.toLowerCase(text.charAt(i));
                Character.UnicodeScript script = Character.UnicodeScript.of(c);
                if (script == Character.UnicodeScript.CYRILLIC) {
                    wordCyrillic++;
                    switch (c) {
                        case 'і', 'ї', 'є', 'ґ' -> uk += LETTER_WEIGHT;
                        case 'ы', 'э', 'ъ', 'ё' -> ru += LETTER_WEIGHT;
                        default -> { }
                    }
                } else if (script == Character.UnicodeScript.LATIN) {
                    wordLatin++;
                    switch (c) {
                        case 'ą', 'ć', 'ę', 'ł', 'ń', 'ś', 'ź', 'ż' -> {
                            pl += LETTER_WEIGHT;
                            polishLetters++;
                        }
                        // Also Spanish, Portuguese... but of our four languages only Polish has it.
                        case 'ó' -> {
                            pl += 1;
                            polishLetters++;
                        }
                        default -> { }
                    }
                }
            }
            cyrillic += wordCyrillic;
            latin += wordLatin;
            if (wordCyrillic == 0 && wordLatin == 0) {
                return;
            }
            String word = text.substring(start, end).toLowerCase(Locale.ROOT).replace('\u2019', '\'')
                    .replace('\u02BC', '\'');
            if (wordCyrillic > 0) {
                uk += UK_WORDS.contains(word) ? 1 : 0;
                ru += RU_WORDS.contains(word) ? 1 : 0;
                // Only Ukrainian writes an apostrophe inside a Cyrillic word (п'ять, м'ясо).
                uk += word.indexOf('\'') > 0 && word.indexOf('\'') < word.length() - 1 ? LETTER_WEIGHT : 0;
            } else {
                pl += PL_WORDS.contains(word) ? 1 : 0;
                en += EN_WORDS.contains(word) ? 1 : 0;
            }
        }

        Detection decide() {
            Set<Language> languages = EnumSet.noneOf(Language.class);
            Language cyrillicPrimary = null;
            Language latinPrimary = null;
            if (cyrillic >= MIN_SCRIPT_LETTERS || (cyrillic > 0 && latin < MIN_SCRIPT_LETTERS)) {
                cyrillicPrimary = pick(Language.RU, ru, Language.UK, uk, Language.RU, languages);
            }
            if (latin >= MIN_SCRIPT_LETTERS || (latin > 0 && cyrillic < MIN_SCRIPT_LETTERS)) {
                latinPrimary = pick(Language.EN, en, Language.PL, pl, Language.EN, languages);
                if (polishLetters == 0) {
                    // Polish evidence without a Polish letter is a short word both languages write ("Refunded ten
                    // euros"): English is indexed too, or "refund" would not find "refunded" there.
                    languages.add(Language.EN);
                }
            }
            Language primary;
            if (cyrillicPrimary != null && latinPrimary != null) {
                primary = cyrillic >= latin ? cyrillicPrimary : latinPrimary;
            } else {
                primary = cyrillicPrimary != null ? cyrillicPrimary : latinPrimary;
            }
            return new Detection(primary, languages);
        }

        /**
         * Between two languages of one script: every one with any evidence is indexed (a Polish message quoting
         * an English sentence gets both fields), the stronger is the primary. With no evidence at all Cyrillic
         * gets both Russian and Ukrainian, Latin gets English.
         */
        private static Language pick(Language a, int scoreA, Language b, int scoreB, Language fallback,
                                     Set<Language> into) {
            if (scoreA == 0 && scoreB == 0) {
                if (fallback == Language.EN) {
                    into.add(Language.EN);
                } else {
                    into.add(a);
                    into.add(b);
                }
                return fallback;
            }
            if (scoreA > 0) {
                into.add(a);
            }
            if (scoreB > 0) {
                into.add(b);
            }
            return scoreA >= scoreB ? a : b;
        }
    }
}
