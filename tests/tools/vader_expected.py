#!/usr/bin/env python3
"""Expected VADER scores for src/listen/vader_test.cc, from the reference implementation.

Runs the reference vaderSentiment.py (https://github.com/cjhutto/vaderSentiment, MIT) over the
sentences below and writes tests/testdata/vader/expected.tsv. Our C++ port must agree within 0.001.

    git clone https://github.com/cjhutto/vaderSentiment /tmp/vaderSentiment
    python3 tests/tools/vader_expected.py /tmp/vaderSentiment/vaderSentiment \
        --note "cjhutto/vaderSentiment@<commit>" > tests/testdata/vader/expected.tsv

DIR is the folder holding vaderSentiment.py, vader_lexicon.txt and emoji_utf8_lexicon.txt
(without DIR, an installed `vaderSentiment` package is used). Stdlib only.

Our port skips VADER's emoji-to-description step, so no sentence here may contain an emoji of the
reference's emoji lexicon (the script refuses one that does).
"""
import argparse
import importlib
import sys

# (rule covered, sentence). Keep sentences free of tabs in the rule column; tabs, newlines and
# backslashes in sentences are escaped in the output (\t, \n, \\).
CASES = [
    ("lexicon", "VADER is smart, handsome, and funny."),
    ("exclamation", "VADER is smart, handsome, and funny!"),
    ("booster", "VADER is very smart, handsome, and funny."),
    ("allcaps", "VADER is VERY SMART, handsome, and FUNNY."),
    ("allcaps+exclamation", "VADER is VERY SMART, handsome, and FUNNY!!!"),
    ("slang boosters", "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!"),
    ("negation nor", "VADER is not smart, handsome, nor funny."),
    ("plain positive", "The book was good."),
    ("at least + n't", "At least it isn't a horrible book."),
    ("kind of", "The book was only kind of good."),
    ("but", "The plot was good, but the characters are uncompelling and the dialog is not great."),
    ("caps slang", "Today SUX!"),
    ("kinda + But", "Today only kinda sux! But I'll get by, lol"),
    ("emoticons", "Make sure you :) or :D today!"),
    ("not bad", "Not bad at all"),
    ("never", "Sentiment analysis has never been good."),
    ("never this", "Sentiment analysis has never been this good!"),
    ("most", "Most automated sentiment analysis tools are shit."),
    ("idiom the shit", "With VADER, sentiment analysis is the shit!"),
    ("quite bad", "Other sentiment analysis tools can be quite bad."),
    ("idiom bad ass", "On the other hand, VADER is quite bad ass"),
    ("badass", "VADER is such a badass!"),
    ("without doubt", "Without a doubt, excellent idea."),
    ("without a doubt", "Without a doubt, an excellent idea."),
    ("most compelling", "Roger Dodger is one of the most compelling variations on this theme."),
    ("at least", "Roger Dodger is at least compelling as a variation on the theme."),
    ("least", "Roger Dodger is one of the least compelling variations on this theme."),
    ("not such", "Not such a badass after all."),
    ("despite", "It was one of the worst movies I've seen, despite good reviews."),
    ("booster before negative", "Unbelievably bad acting!!"),
    ("short", "Poor direction."),
    ("caps booster", "VERY poor production."),
    ("very bad", "Very bad movie."),
    ("all caps mixed", "VERY BAD movie!"),
    ("dampener", "The service was slightly better today."),
    ("two question marks", "Is Instagram down again??"),
    ("three question marks", "Why is WhatsApp so bad???"),
    ("four question marks", "Why is WhatsApp so bad????"),
    ("exclamations capped at 4", "I love this!!!!!!!"),
    ("no + lexicon word", "There is no good reason for this outage."),
    ("no, kept with comma", "No, I am not happy."),
    ("no ... or", "I have no love or hate for it"),
    ("no alone", "The answer is no"),
    ("all caps text", "INSTAGRAM IS DOWN AND I HATE IT"),
    ("empty", ""),
    ("whitespace only", "   \t "),
    ("neutral", "The meeting is at 3pm in room 4."),
    ("never so", "I have never been so happy"),
    ("idiom yeah right", "Yeah right, the app works great."),
    ("idiom to die for", "The new update is to die for"),
    ("idiom kiss of death", "This bug is the kiss of death for us"),
    ("idiom broken heart", "My broken heart hurts"),
    ("sort of", "The update was sort of nice"),
    ("kind alone", "She is kind."),
    ("caps booster in mixed text", "The app is EXTREMELY slow today and it is awful"),
    ("booster before negative word", "The app is extremely bad"),
    ("n't contractions", "The app doesn't work and I'm not happy"),
    ("didn't", "I didn't like the update"),
    ("but with repeated values", "I love it but I love it"),
    ("but with equal values", "good but good good"),
    ("nbsp, tab and newline", "I\u00a0love it\tso\nmuch"),
    ("punctuation around words", "(great) ...awful... 'nice'"),
    ("latin-1 capitals", "CAFÉ is GREAT but slow"),
    ("chatter", "Instagram is down again, this is so frustrating"),
    ("chatter ?? and n't", "whatsapp down?? can't send anything"),
    ("mention thanks", "@Brand thanks for the quick update, great job"),
    ("hashtags", "#instagramdown ugh this is terrible #fail"),
    ("so before word", "it is so good"),
    ("this three back", "I like this very good thing"),
    ("never so three back", "never so very good"),
    ("without doubt three back", "without any doubt good"),
    ("negation three back", "not at all good"),
    ("least very", "the very least good"),
    ("caps NO", "NO good answers here"),
    # Limits docs/listening.md cites: the reference scores these the same way.
    ("limit: sarcasm", "Oh great, Instagram is down again"),
    ("limit: negation three back", "#instagramdown feed won't load, awful"),
    ("limit: not in the lexicon", "instagram down"),
    ("limit: not English", "Instagram est en panne, c'est nul"),
]


def escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", help="folder with vaderSentiment.py and its lexicons")
    ap.add_argument("--note", default="", help="where the reference came from (repo@commit)")
    args = ap.parse_args()
    if args.dir:
        sys.path.insert(0, args.dir)
        vs = importlib.import_module("vaderSentiment")
    else:
        vs = importlib.import_module("vaderSentiment.vaderSentiment")
    analyzer = vs.SentimentIntensityAnalyzer()
    print("# Generated by tests/tools/vader_expected.py from the reference VADER"
          + (f" ({args.note})" if args.note else "") + "; do not edit.")
    print("# rule\tsentence\tcompound\tpos\tneu\tneg")
    for rule, sentence in CASES:
        for ch in sentence:
            if ch in analyzer.emojis:
                sys.exit(f"{rule}: {sentence!r} has an emoji; the C++ port skips emoji")
        s = analyzer.polarity_scores(sentence)
        print(f"{rule}\t{escape(sentence)}\t{s['compound']}\t{s['pos']}\t{s['neu']}\t{s['neg']}")


if __name__ == "__main__":
    main()
