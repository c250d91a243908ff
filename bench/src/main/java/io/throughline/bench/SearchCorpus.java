package io.throughline.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A fixed-seed multilingual support corpus: messages in en, uk, ru and pl built from real words in several
 * inflected forms ("lemmas"), with the words a support inbox sees most, fixed collocations for phrase queries,
 * and order numbers, phones and emails. It remembers which lemmas each message holds, so recall can be measured
 * against the truth rather than against another engine.
 */
final class SearchCorpus {

    /** A word and the forms it is written in. */
    record Lemma(int id, String language, List<String> forms) {
    }

    /** One language: its lemmas (most frequent first), greetings, fillers and collocations. */
    record Language(String code, double share, List<Lemma> lemmas, List<String> greetings, List<String> fillers,
                    List<String> joiners, List<String> collocations, int firstCollocation) {
    }

    static final String[] CHANNELS = {"email", "widget", "telegram", "api"};
    private static final double[] CHANNEL_SHARE = {0.4, 0.3, 0.2, 0.1};
    static final String[] STATUSES = {"open", "pending", "snoozed", "resolved"};
    private static final double[] STATUS_SHARE = {0.3, 0.1, 0.05, 0.55};

    private final List<Language> languages = new ArrayList<>();
    private final List<Lemma> lemmas = new ArrayList<>();
    private final List<String> collocations = new ArrayList<>();
    private final int[][] collocationLemmas;

    SearchCorpus() {
        add("en", 0.40, new String[][] {
            {"order", "orders", "ordered", "ordering"}, {"refund", "refunds", "refunded", "refunding"},
            {"parcel", "parcels"}, {"invoice", "invoices", "invoiced"}, {"return", "returns", "returned", "returning"},
            {"payment", "payments"}, {"charge", "charged", "charges", "charging"},
            {"cancel", "cancelled", "cancelling", "cancels"}, {"subscription", "subscriptions"},
            {"discount", "discounts", "discounted"}, {"replace", "replaced", "replacing"},
            {"ship", "shipped", "shipping", "ships"}, {"account", "accounts"}, {"password", "passwords"},
            {"warranty", "warranties"}, {"exchange", "exchanged", "exchanging"}},
                new String[] {"Hello,", "Hi team,", "Good morning,", "Hi,"},
                new String[] {"please help", "thanks in advance", "it has been a week", "I am still waiting",
                    "this is urgent", "see the photo attached", "nobody answers the phone", "what should I do"},
                new String[] {"and", "but", "for the", "about my", "with the"},
                new String[] {"refund request", "tracking number"});
        add("uk", 0.20, new String[][] {
            {"замовлення", "замовленням", "замовлень", "замовленні"}, {"посилка", "посилку", "посилки", "посилкою"},
            {"повернення", "поверненням", "поверненні"}, {"рахунок", "рахунку", "рахунки"},
            {"знижка", "знижки", "знижку", "знижкою"}, {"підписка", "підписку", "підписки"},
            {"доставка", "доставки", "доставку", "доставкою"}, {"гроші", "грошей", "грошима"},
            {"заміна", "заміну", "заміни"}, {"гарантія", "гарантії", "гарантію"},
            {"оплата", "оплати", "оплату", "оплатою"}, {"кур'єр", "кур'єра", "кур'єри", "кур'єром"}},
                new String[] {"Добрий день,", "Вітаю,", "Доброго ранку,", "Привіт,"},
                new String[] {"допоможіть, будь ласка", "дякую заздалегідь", "минув уже тиждень", "я досі чекаю",
                    "це терміново", "фото додаю", "ніхто не відповідає", "що мені робити"},
                new String[] {"і", "але", "щодо", "через", "разом з"},
                new String[] {"повернення коштів", "номер відстеження"});
        add("ru", 0.25, new String[][] {
            {"заказ", "заказы", "заказа", "заказом", "заказов"}, {"посылка", "посылку", "посылки", "посылкой"},
            {"возврат", "возврата", "возвратом"}, {"счёт", "счета", "счёте"}, {"скидка", "скидки", "скидку", "скидкой"},
            {"подписка", "подписку", "подписки"}, {"доставка", "доставки", "доставку", "доставкой"},
            {"замена", "замену", "замены"}, {"гарантия", "гарантии", "гарантию"},
            {"оплата", "оплаты", "оплату", "оплатой"}, {"курьер", "курьера", "курьеры", "курьером"},
            {"ошибка", "ошибки", "ошибку"}},
                new String[] {"Здравствуйте,", "Добрый день,", "Доброе утро,", "Привет,"},
                new String[] {"помогите, пожалуйста", "заранее спасибо", "прошла уже неделя", "я до сих пор жду",
                    "это срочно", "фото прилагаю", "никто не отвечает", "что мне делать"},
                new String[] {"и", "но", "насчёт", "из-за", "вместе с"},
                new String[] {"возврат денег", "номер отслеживания"});
        add("pl", 0.15, new String[][] {
            {"zamówienie", "zamówienia", "zamówieniem", "zamówień", "zamówieniu"},
            {"przesyłka", "przesyłkę", "przesyłki", "przesyłką"}, {"zwrot", "zwrotu", "zwrotem"},
            {"faktura", "fakturę", "faktury", "fakturze"}, {"rabat", "rabatu", "rabaty"},
            {"subskrypcja", "subskrypcję", "subskrypcji"}, {"dostawa", "dostawy", "dostawę", "dostawą"},
            {"wymiana", "wymianę", "wymiany"}, {"gwarancja", "gwarancji", "gwarancję"},
            {"płatność", "płatności", "płatnością"}, {"kurier", "kuriera", "kurierzy", "kurierem"},
            {"pieniądze", "pieniędzy", "pieniędzmi"}},
                new String[] {"Dzień dobry,", "Witam,", "Cześć,", "Dobry wieczór,"},
                new String[] {"proszę o pomoc", "z góry dziękuję", "minął już tydzień", "nadal czekam", "to pilne",
                    "zdjęcie w załączniku", "nikt nie odbiera", "co mam zrobić"},
                new String[] {"i", "ale", "w sprawie", "przez", "razem z"},
                new String[] {"zwrot pieniędzy", "numer przesyłki"});
        collocationLemmas = collocationLemmas();
    }

    private void add(String code, double share, String[][] words, String[] greetings, String[] fillers,
                     String[] joiners, String[] collocations) {
        List<Lemma> own = new ArrayList<>();
        for (String[] forms : words) {
            Lemma lemma = new Lemma(lemmas.size(), code, List.of(forms));
            lemmas.add(lemma);
            own.add(lemma);
        }
        languages.add(new Language(code, share, own, List.of(greetings), List.of(fillers), List.of(joiners),
                List.of(collocations), this.collocations.size()));
        this.collocations.addAll(List.of(collocations));
    }

    List<Language> languages() {
        return languages;
    }

    Lemma lemma(int id) {
        return lemmas.get(id);
    }

    int lemmaCount() {
        return lemmas.size();
    }

    /** One generated message: its text, channel, the lemmas and the collocation it holds (-1 for none). */
    record Message(String text, String channel, int lemmaA, int lemmaB, int collocation) {
    }

    /**
     * Whether a message holding these lemmas and this collocation holds the word {@code lemma}, in any of its
     * forms: the answer key of recall. A collocation with one of the word's forms in it ("refund request", "zwrot
     * pieniędzy") holds it too. A lemma of another language sharing a form with it (the Ukrainian and the Russian
     * "доставку") does not count: which language's word such a form is, the corpus does not say.
     */
    boolean mentions(int lemma, int lemmaA, int lemmaB, int collocation) {
        if (lemma == lemmaA || lemma == lemmaB) {
            return true;
        }
        if (collocation >= 0) {
            for (int in : collocationLemmas[collocation]) {
                if (in == lemma) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether two lemmas share a form (the Ukrainian and the Russian "доставка"). */
    boolean writtenAlike(int lemma, int other) {
        return lemmas.get(lemma).forms().stream().anyMatch(lemmas.get(other).forms()::contains);
    }

    /** For each collocation, the lemmas one of whose forms is one of its words. */
    private int[][] collocationLemmas() {
        int[][] held = new int[collocations.size()][];
        for (int c = 0; c < held.length; c++) {
            List<String> words = List.of(collocations.get(c).toLowerCase(Locale.ROOT).split(" "));
            held[c] = lemmas.stream().filter(l -> l.forms().stream().anyMatch(words::contains))
                    .mapToInt(Lemma::id).toArray();
        }
        return held;
    }

    Language pickLanguage(Random random) {
        double roll = random.nextDouble();
        for (Language language : languages) {
            roll -= language.share();
            if (roll <= 0) {
                return language;
            }
        }
        return languages.getLast();
    }

    /** Zipf-like: the first lemmas of a language are the most frequent, as "order" is in every inbox. */
    Lemma pickLemma(Language language, Random random) {
        List<Lemma> own = language.lemmas();
        double total = 0;
        for (int i = 0; i < own.size(); i++) {
            total += 1.0 / (i + 1);
        }
        double roll = random.nextDouble() * total;
        for (int i = 0; i < own.size(); i++) {
            roll -= 1.0 / (i + 1);
            if (roll <= 0) {
                return own.get(i);
            }
        }
        return own.getLast();
    }

    static String form(Lemma lemma, Random random) {
        return lemma.forms().get(random.nextInt(lemma.forms().size()));
    }

    Message message(Random random, int index) {
        Language language = pickLanguage(random);
        Lemma first = pickLemma(language, random);
        Lemma second = random.nextDouble() < 0.6 ? pickLemma(language, random) : null;
        StringBuilder text = new StringBuilder();
        if (random.nextDouble() < 0.7) {
            text.append(pick(language.greetings(), random)).append(' ');
        }
        text.append(capitalize(form(first, random)));
        if (second != null && second != first) {
            text.append(' ').append(pick(language.joiners(), random)).append(' ').append(form(second, random));
        }
        text.append(", ").append(pick(language.fillers(), random));
        int collocation = -1;
        if (random.nextDouble() < 0.15) {
            // The same draw pick() makes, so a seed gives the corpus it gave before the collocation was recorded.
            int picked = random.nextInt(language.collocations().size());
            collocation = language.firstCollocation() + picked;
            text.append(". ").append(capitalize(language.collocations().get(picked)));
        }
        double extra = random.nextDouble();
        if (extra < 0.10) {
            text.append(" #A-").append(10_000 + random.nextInt(90_000));
        } else if (extra < 0.15) {
            text.append(" +380 6").append(random.nextInt(10)).append(' ').append(100 + random.nextInt(900))
                    .append(' ').append(10 + random.nextInt(90)).append(' ').append(10 + random.nextInt(90));
        } else if (extra < 0.20) {
            text.append(" customer").append(index % 50_000).append("@example.com");
        }
        text.append('.');
        return new Message(text.toString(), pickWeighted(CHANNELS, CHANNEL_SHARE, random), first.id(),
                second == null || second == first ? -1 : second.id(), collocation);
    }

    static String status(Random random) {
        return pickWeighted(STATUSES, STATUS_SHARE, random);
    }

    private static String pickWeighted(String[] values, double[] shares, Random random) {
        double roll = random.nextDouble();
        for (int i = 0; i < values.length; i++) {
            roll -= shares[i];
            if (roll <= 0) {
                return values[i];
            }
        }
        return values[values.length - 1];
    }

    static String pick(List<String> values, Random random) {
        return values.get(random.nextInt(values.size()));
    }

    private static String capitalize(String word) {
        return word.isEmpty() ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }
}
