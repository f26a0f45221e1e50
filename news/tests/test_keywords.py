import pytest

from news.keywords import extract_keywords, singular

TITLE = "OpenAI launches GPT-4o with faster function calling and a bigger context window"
TEXT = """OpenAI today released GPT-4o, its new flagship model. GPT-4o improves function calling
and offers a 128K context window. Developers can use function calling to connect the model
to tools. The context window is four times larger than before.
Anthropic's Claude 3.5 Sonnet and Google's Gemini 1.5 Pro compete in the same space.
Pricing starts at $5 per million tokens in 2024. AI agents built on GPT-4o can call tools;
agents are the focus of many startups."""


def test_finds_phrases_product_names_and_words():
    keywords = extract_keywords(title=TITLE, text=TEXT)

    assert keywords[:3] == ["context window", "function calling", "gpt-4o"]
    assert {"claude 3.5", "gemini 1.5", "agent"} <= set(keywords)
    assert len(keywords) == 8


def test_words_inside_a_kept_phrase_do_not_also_appear_alone():
    keywords = extract_keywords(title=TITLE, text=TEXT, limit=20)

    assert "context window" in keywords
    assert "context" not in keywords
    assert "window" not in keywords
    assert "calling" not in keywords


def test_title_terms_outrank_body_terms():
    keywords = extract_keywords(
        title="Perplexity adds shopping",
        text="The assistant gained checkout support. Checkout works in many stores.",
    )

    assert keywords[:2] == ["perplexity", "shopping"]
    assert "checkout" in keywords


def test_plurals_merge_with_singulars():
    keywords = extract_keywords(
        title="Agents everywhere",
        text="An agent books flights. Other agents write code. Libraries ship agents.",
    )

    assert keywords[0] == "agent"
    assert "agents" not in keywords
    assert "library" in keywords


@pytest.mark.parametrize(
    ("plural", "expected"),
    [
        ("agents", "agent"),
        ("companies", "company"),
        ("classes", "class"),
        ("boxes", "box"),
        ("batches", "batch"),
        ("releases", "release"),
        ("databases", "database"),
        ("gpus", "gpu"),
        ("caches", "cache"),
        ("large-language-models", "large-language-model"),
        ("news", "news"),
        ("analysis", "analysis"),
        ("status", "status"),
        ("robotics", "robotics"),
        ("kubernetes", "kubernetes"),
        ("series", "series"),
        ("gpt-4o", "gpt-4o"),
        ("модели", "модели"),
        ("gas", "gas"),
    ],
)
def test_singular(plural, expected):
    assert singular(plural) == expected


def test_stop_words_and_numbers_are_dropped():
    keywords = extract_keywords(
        title="The 2025 report",
        text="It is 100 times faster than the 3.5 release from 2024, and they said so. 42.",
        limit=20,
    )

    for dropped in ("the", "it", "is", "they", "said", "2025", "2024", "100", "3.5", "42"):
        assert dropped not in keywords


def test_company_names_in_exclude_are_removed():
    keywords = extract_keywords(
        title="Mistral AI releases Mistral Large 2",
        text="Mistral AI said Mistral Large 2 supports dozens of languages. Mistral Large 2 "
        "runs on a single node. Google DeepMind and OpenAI's rivals took note.",
        exclude=["Mistral AI", "Mistral", "Google DeepMind", "OpenAI"],
        limit=20,
    )

    assert "mistral large 2" in keywords
    for name in ("mistral", "mistral ai", "google deepmind", "deepmind", "google", "openai"):
        assert name not in keywords


def test_excluded_name_inside_a_product_name_stays():
    keywords = extract_keywords(
        title="Anthropic ships Claude 3.5 Sonnet", text="", exclude=["Anthropic", "Claude"]
    )

    assert "claude 3.5" in keywords
    assert "anthropic" not in keywords
    assert "claude" not in keywords


def test_possessives_are_normalised():
    keywords = extract_keywords(
        title="OpenAI's new lakehouse", text="The lakehouse is OpenAI's answer to rivals."
    )

    assert keywords[:2] == ["lakehouse", "openai"]


def test_names_that_look_plural_are_not_singularised():
    keywords = extract_keywords(
        title="Databricks buys Tabular",
        text="Databricks said the deal closes soon. Engineers at Databricks welcomed it.",
    )

    assert "databricks" in keywords
    assert "databrick" not in keywords


def test_capitalised_plurals_merge_when_the_word_also_appears_in_lower_case():
    keywords = extract_keywords(title="Agents Are Coming", text="Two agents met an agent.")

    assert keywords[0] == "agent"
    assert "agents" not in keywords


def test_order_is_deterministic_with_alphabetical_ties():
    keywords = extract_keywords(title="", text="zebra. apple. mango.")

    assert keywords == ["apple", "mango", "zebra"]
    assert extract_keywords(title=TITLE, text=TEXT) == extract_keywords(title=TITLE, text=TEXT)


def test_limit():
    assert len(extract_keywords(title=TITLE, text=TEXT, limit=3)) == 3
    assert extract_keywords(title=TITLE, text=TEXT, limit=0) == []


def test_html_input():
    keywords = extract_keywords(
        title="<b>Claude</b> &amp; friends",
        text="<p>Claude &amp; friends</p><script>var tracking = 1;</script><style>p{}</style>",
    )

    assert keywords == ["claude", "friend"]


def test_urls_and_emails_are_not_keywords():
    keywords = extract_keywords(
        title="Launch notes",
        text="Read more at https://openai.com/index/gpt-5 or write to press@openai.com today.",
        limit=20,
    )

    assert not any("openai" in keyword or "http" in keyword for keyword in keywords)


def test_russian_text():
    keywords = extract_keywords(
        title="OpenAI представила GPT-5",
        text="Компания OpenAI представила новую языковую модель GPT-5. Модель GPT-5 доступна "
        "пользователям ChatGPT. Она также поддерживает агентов.",
    )

    assert keywords[:2] == ["openai", "gpt-5"]
    for stop_word in ("она", "также", "компания", "новую", "представила"):
        assert stop_word not in keywords


def test_cjk_text_does_not_crash_and_keeps_latin_names():
    keywords = extract_keywords(
        title="人工智能公司发布新模型", text="人工智能公司今天发布了新的模型。GPT-5 模型"
    )

    assert "gpt-5" in keywords
    assert all(len(keyword) <= 40 for keyword in keywords)


@pytest.mark.parametrize("text", ["", "   ", "<div></div>", "!!! ??? ...", "\x00\ud800"])
def test_nothing_to_extract(text):
    assert extract_keywords(title=text, text=text) == []


def test_very_long_text():
    text = TEXT * 400

    keywords = extract_keywords(title=TITLE, text=text)

    assert "function calling" in keywords
    assert len(keywords) == 8


def test_a_single_huge_token():
    assert extract_keywords(title="", text="a" * 100_000) == []
