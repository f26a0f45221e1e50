import pytest

from news.summaries import extractive_summary, is_usable_summary

ARTICLE = """Skip to content
Share this article
By Jane Doe | March 3, 2025
March 3, 2025
5 min read
We use cookies to improve your experience. Accept all cookies.
Introducing GPT-5
OpenAI today released GPT-5, its most capable model, to all ChatGPT users. The model is \
available in the API at $1.25 per million input tokens. Developers can choose between \
three sizes. A fourth sentence is here only to make the article longer than the summary \
budget, so that the summary has to stop before it.
"""

# ---------------------------------------------------------------- extractive_summary


def test_summary_skips_page_furniture_and_headings():
    summary = extractive_summary(ARTICLE)

    assert summary.startswith("OpenAI today released GPT-5")
    for furniture in ("Skip to", "Share", "Jane Doe", "cookies", "min read", "Introducing"):
        assert furniture not in summary


def test_summary_ends_at_a_sentence_boundary_within_the_limit():
    summary = extractive_summary(ARTICLE, max_chars=300)

    assert len(summary) <= 300
    assert summary.endswith("three sizes.")
    assert "fourth sentence" not in summary


@pytest.mark.parametrize("max_chars", [40, 80, 120, 200, 300, 500])
def test_summary_never_exceeds_the_limit(max_chars):
    assert len(extractive_summary(ARTICLE, max_chars=max_chars)) <= max_chars


def test_first_sentence_longer_than_the_limit_is_cut_at_a_word_with_an_ellipsis():
    text = "OpenAI released " + "a very capable model " * 30 + "today."

    summary = extractive_summary(text, max_chars=100)

    assert len(summary) <= 100
    assert summary.endswith("…")
    assert summary.startswith("OpenAI released a very capable model")
    assert not summary[:-1].endswith(" ")


def test_long_first_sentence_prefers_a_clause_boundary():
    text = (
        "Anthropic released Claude 3.5 Sonnet, which it says beats its previous flagship on "
        "coding, reasoning and vision benchmarks while costing a fifth as much to run and "
        "answering twice as fast as before."
    )

    summary = extractive_summary(text, max_chars=120)

    assert summary == (
        "Anthropic released Claude 3.5 Sonnet, which it says beats its previous flagship on coding…"
    )


@pytest.mark.parametrize(
    ("text", "first_sentence"),
    [
        (
            "Acme Inc. CEO Jane Doe said the deal closed. It took a year.",
            "Acme Inc. CEO Jane Doe said the deal closed.",
        ),
        (
            "The rules apply in the U.S. and Canada from March. They were delayed twice.",
            "The rules apply in the U.S. and Canada from March.",
        ),
        (
            "The new SDK v1.2 adds streaming, e.g. for tool calls. It ships today.",
            "The new SDK v1.2 adds streaming, e.g. for tool calls.",
        ),
        (
            "Dr. Smith and Prof. Lee led the study of GPT-4.5 models. It took months.",
            "Dr. Smith and Prof. Lee led the study of GPT-4.5 models.",
        ),
        (
            "Microsoft invested in Mistral AI in Feb. 2024 for a small stake. It was news.",
            "Microsoft invested in Mistral AI in Feb. 2024 for a small stake.",
        ),
    ],
)
def test_abbreviations_do_not_end_sentences(text, first_sentence):
    assert extractive_summary(text, max_chars=len(first_sentence) + 5) == first_sentence


def test_company_suffix_ends_a_sentence_before_a_sentence_opener():
    text = "The model was trained by Acme Inc. The company did not say how much it cost to run."

    assert extractive_summary(text, max_chars=40) == "The model was trained by Acme Inc."


def test_sentence_ending_in_an_initialism_before_an_opener():
    text = "The startup opened an office in the U.S. The move follows its Series B round."

    assert extractive_summary(text, max_chars=45) == "The startup opened an office in the U.S."


def test_sentences_are_taken_across_paragraphs():
    text = (
        "Mistral AI released a new open-weight model for code generation tasks.\n"
        "What's new\n"
        "It supports more than eighty programming languages out of the box."
    )

    assert extractive_summary(text) == (
        "Mistral AI released a new open-weight model for code generation tasks. "
        "It supports more than eighty programming languages out of the box."
    )


def test_press_release_dateline_is_removed():
    text = (
        "SAN FRANCISCO, March 3, 2025 /PRNewswire/ -- Acme AI today announced a new "
        "reasoning model for enterprise customers."
    )

    assert extractive_summary(text) == (
        "Acme AI today announced a new reasoning model for enterprise customers."
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "By the end of the year, the company expects to double its compute capacity.",
        "Share prices of chip makers rose sharply after the announcement on Tuesday.",
        "Published research shows that the new model hallucinates less than older ones.",
        "Users who subscribe to ChatGPT Plus get the model first, the company said.",
        "Gmail's assistant now sorts your inbox and drafts replies for you.",
    ],
)
def test_sentences_that_merely_start_like_furniture_are_kept(sentence):
    assert extractive_summary(sentence) == sentence


def test_html_fragment():
    html = (
        "<div><p>Share on X</p><p>Anthropic has released <b>Claude 3.5 Sonnet</b>, which "
        "outperforms Claude 3 Opus on many benchmarks.</p><script>var tracking = 1;</script>"
        "<p>It is available today &amp; free to try in the Claude app.</p></div>"
    )

    assert extractive_summary(html) == (
        "Anthropic has released Claude 3.5 Sonnet, which outperforms Claude 3 Opus on many "
        "benchmarks. It is available today & free to try in the Claude app."
    )


def test_cyrillic_text():
    text = (
        "Поделиться\n"
        "OpenAI представила новую модель GPT-5. Она доступна всем пользователям ChatGPT с "
        "сегодняшнего дня, сообщила компания. Подробности о цене, т.е. тарифы для API, "
        "раскрыты в блоге."
    )

    summary = extractive_summary(text, max_chars=120)

    assert summary == (
        "OpenAI представила новую модель GPT-5. Она доступна всем пользователям ChatGPT с "
        "сегодняшнего дня, сообщила компания."
    )


def test_cjk_text_joins_sentences_without_spaces():
    text = "人工智能公司今天发布了新的模型。该模型在多个基准测试中表现出色。我们很高兴。"

    assert extractive_summary(text, max_chars=35) == (
        "人工智能公司今天发布了新的模型。该模型在多个基准测试中表现出色。"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "<div></div>",
        "Share this article\nBy Jane Doe\nMarch 3, 2025",
        "We use cookies to improve your experience. Accept all cookies or manage settings.",
        "Sign up for our newsletter to get the latest AI news in your inbox every week.",
    ],
)
def test_nothing_to_summarise(text):
    assert extractive_summary(text) == ""


def test_zero_limit():
    assert extractive_summary(ARTICLE, max_chars=0) == ""


def test_release_notes_without_prose_fall_back_to_their_lines():
    assert extractive_summary("## v1.2.0\n- Fixed a crash\n- Added streaming") == (
        "Fixed a crash; Added streaming"
    )


def test_very_long_text():
    text = "Header\n" + "The model handles long inputs well and is cheap to run. " * 2000

    summary = extractive_summary(text)

    assert 0 < len(summary) <= 300
    assert summary.startswith("The model handles long inputs well")
    assert summary.endswith(".")


def test_very_long_unbroken_text():
    assert len(extractive_summary("x" * 100_000 + " tail words here now")) <= 300


def test_control_characters_and_lone_surrogates_do_not_break_it():
    text = "Anthropic\x00 released\u200b a new model for \ud800coding tasks today, it said."

    assert (
        extractive_summary(text)
        == "Anthropic released a new model for coding tasks today, it said."
    )


# ---------------------------------------------------------------- is_usable_summary

TITLE = "OpenAI releases GPT-5 to all ChatGPT users"


@pytest.mark.parametrize(
    "summary",
    [
        "",
        "   ",
        "Too short to tell anything.",
        TITLE,
        TITLE.upper(),
        f"{TITLE}.",
        f"<p>{TITLE}</p>",
        f"{TITLE} | TechCrunch",
        f"{TITLE} - The Verge",
        "OpenAI releases GPT-5 to all ChatGPT…",
        "OpenAI releases GPT-5 to all ChatGPT...",
        "OpenAI release GPT-5 to all ChatGPT user",
        f"<p>The post {TITLE} appeared first on AI News.</p>",
        f"{TITLE} Continue reading",
        "Continue reading...",
        "[…]",
        "Comments",
    ],
)
def test_unusable_summaries(summary):
    assert not is_usable_summary(summary, title=TITLE)


@pytest.mark.parametrize(
    "summary",
    [
        "The model is available today to every ChatGPT user and to developers in the API.",
        f"{TITLE}. It replaces GPT-4o as the default model and adds a router that picks "
        "how long to think before answering.",
        "<p>The model is available <b>today</b> to every ChatGPT user &amp; developer.</p>",
        "Компания выпустила новую флагманскую модель, доступную всем пользователям.",
        f"The model is available today to every ChatGPT user. The post {TITLE} appeared "
        "first on AI News.",
    ],
)
def test_usable_summaries(summary):
    assert is_usable_summary(summary, title=TITLE)


def test_any_reasonable_summary_is_usable_without_a_title():
    assert is_usable_summary("The model is available today to every ChatGPT user.", title="")


def test_usable_summary_handles_long_input():
    summary = "Every developer can now use the model. " * 3000

    assert is_usable_summary(summary, title=TITLE)
    assert not is_usable_summary(summary, title=summary)
