import pytest

from news.mentions import CompanyMatcher, CompanyNames, primary_company

OPENAI = 1
ANTHROPIC = 2
DEEPMIND = 3
META = 4
MISTRAL = 5
COHERE = 6
HUGGING_FACE = 7
PERPLEXITY = 9
CHARACTER = 10
RUNWAY = 11
SCALE = 13
REPLICATE = 14
WANDB = 17
DATABRICKS = 18
TOGETHER = 19
INFLECTION = 20

COMPANIES = [
    CompanyNames(OPENAI, "OpenAI", ["OpenAI", "Open AI", "ChatGPT", "GPT-4o", "GPT-5", "Sora"]),
    CompanyNames(ANTHROPIC, "Anthropic", ["Claude", "Claude Code"]),
    CompanyNames(DEEPMIND, "Google DeepMind", ["DeepMind", "Gemini", "Gemma", "AlphaFold"]),
    CompanyNames(META, "Meta AI", ["Llama", "FAIR", "Meta Superintelligence Labs"]),
    CompanyNames(MISTRAL, "Mistral AI", ["Mistral", "Le Chat", "Codestral"]),
    CompanyNames(COHERE, "Cohere", ["Command R", "Command A", "Cohere For AI"]),
    CompanyNames(HUGGING_FACE, "Hugging Face", ["HuggingFace", "SmolLM"]),
    CompanyNames(PERPLEXITY, "Perplexity AI", ["Perplexity", "Comet browser", "Sonar"]),
    CompanyNames(CHARACTER, "Character.AI", ["Character AI", "c.ai"]),
    CompanyNames(RUNWAY, "Runway", ["RunwayML", "Runway ML", "Gen-4"]),
    CompanyNames(SCALE, "Scale AI", ["Scale", "Scale GenAI Platform"]),
    CompanyNames(REPLICATE, "Replicate", ["Cog"]),
    CompanyNames(WANDB, "Weights & Biases", ["Weights and Biases", "W&B", "wandb", "Weave"]),
    CompanyNames(DATABRICKS, "Databricks", ["MosaicML", "DBRX"]),
    CompanyNames(TOGETHER, "Together AI", ["Together.ai", "Together Computer"]),
    CompanyNames(INFLECTION, "Inflection AI", ["Inflection-3", "Pi assistant"]),
]


@pytest.fixture(scope="module")
def matcher():
    return CompanyMatcher.build(COMPANIES)


def find_in_text(matcher, text):
    return matcher.find(title="", summary="", text=text)


# ---------------------------------------------------------------- distinctive names


@pytest.mark.parametrize(
    "text",
    [
        "OpenAI shipped it.",
        "We spoke to openai engineers.",
        "OPENAI SHIPS IT",
        "OpenAI's new model is out.",
        "OpenAI’s new model is out.",
        "An OpenAI-backed startup raised money.",
        "The Open AI team said so.",
        "See https://openai.com/news for details.",
        "(OpenAI) said so.",
    ],
)
def test_distinctive_names_match_in_any_case_and_punctuation(matcher, text):
    assert find_in_text(matcher, text) == {OPENAI: 1}


@pytest.mark.parametrize("text", ["NotOpenAI is a parody.", "OpenAIx", "openaiapi", "reopenai"])
def test_names_inside_other_words_do_not_match(matcher, text):
    assert find_in_text(matcher, text) == {}


@pytest.mark.parametrize(
    "text", ["Hugging Face", "hugging face", "Hugging-Face", "HuggingFace", "Hugging\nFace"]
)
def test_spacing_and_hyphenation_variants(matcher, text):
    assert find_in_text(matcher, f"The {text} hub grew.") == {HUGGING_FACE: 1}


@pytest.mark.parametrize(
    "text",
    ["Weights & Biases", "Weights &amp; Biases", "Weights and Biases", "W&B", "W & B", "wandb"],
)
def test_names_with_ampersands(matcher, text):
    assert find_in_text(matcher, f"We use {text} for tracking.") == {WANDB: 1}


@pytest.mark.parametrize("text", ["Character.AI", "character.ai", "Character AI", "c.ai"])
def test_names_with_dots(matcher, text):
    assert find_in_text(matcher, f"Users of {text} chatted more.") == {CHARACTER: 1}


def test_longest_name_wins_and_is_counted_once(matcher):
    assert find_in_text(matcher, "Google DeepMind and DeepMind staff.") == {DEEPMIND: 2}
    assert find_in_text(matcher, "Claude Code writes code.") == {ANTHROPIC: 1}


def test_versioned_aliases(matcher):
    assert find_in_text(matcher, "GPT-4o, GPT 4o and gpt4o, but not GPT-40.") == {OPENAI: 3}


# ---------------------------------------------------------------- ambiguous names


@pytest.mark.parametrize(
    "text",
    [
        "The runway for startups is short.",
        "Together, they scale. Character matters. Replicate this result.",
        "We bring together AI researchers.",
        "The perplexity of the model dropped after training.",
        "Models that cohere with human values are the goal.",
        "It reached an inflection point. A character AI would help.",
        "Scale is everything in training.",
        "Runway Raises $308M To Build World Models",
        "Weave the threads together. A cog in the machine.",
    ],
)
def test_common_words_are_not_companies(matcher, text):
    assert find_in_text(matcher, text) == {}


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("The video startup Runway said on Thursday it raised money.", RUNWAY),
        ("Investors include Scale and others.", SCALE),
        ("Scale AI labels data.", SCALE),
        ("Scale's CEO spoke at the event.", SCALE),
        ("Runway ML released a model.", RUNWAY),
        ("Replicate's API runs models.", REPLICATE),
        ("Together AI raised $305M.", TOGETHER),
        ("Developers host models on Together.ai today.", TOGETHER),
        ("AI Startup Runway Raises $308M", RUNWAY),
        ("Inflection-3 is out.", INFLECTION),
        ("The chatbot Perplexity answers questions.", PERPLEXITY),
    ],
)
def test_ambiguous_names_with_evidence(matcher, text, company):
    assert find_in_text(matcher, text) == {company: 1}


def test_weak_mentions_count_once_a_strong_one_exists(matcher):
    text = "Runway raised money. Runway Gen-4 ships. Later, investors in Runway cheered."

    assert find_in_text(matcher, text) == {RUNWAY: 4}


def test_title_case_headline_alone_is_not_enough(matcher):
    found = matcher.find(
        title="Scale Your Startup With Together", summary="", text="How to grow a company."
    )

    assert found == {}


def test_multi_word_aliases_keep_the_case_of_their_single_letters(matcher):
    assert find_in_text(matcher, "Command a fleet of drones.") == {}
    assert find_in_text(matcher, "Cohere released Command A.") == {COHERE: 2}


def test_proper_noun_names_need_a_capital(matcher):
    assert find_in_text(matcher, "The mistral wind blew; a llama grazed.") == {}
    assert find_in_text(matcher, "Mistral released a model built on Llama.") == {
        META: 1,
        MISTRAL: 1,
    }
    assert find_in_text(matcher, "Le Chat got faster; le chat est noir.") == {MISTRAL: 1}


def test_people_who_share_a_product_name(matcher):
    assert find_in_text(matcher, "Claude Shannon founded information theory.") == {}


def test_all_capital_acronyms_match_exactly(matcher):
    assert find_in_text(matcher, "It is only fair. Fair enough.") == {}
    assert find_in_text(matcher, "Researchers at FAIR published it.") == {META: 1}


# ---------------------------------------------------------------- counting


def test_title_mentions_count_double(matcher):
    found = matcher.find(
        title="Anthropic releases Claude 4",
        summary="Anthropic's new models are out.",
        text="OpenAI responded. Claude is now faster.",
    )

    assert found == {ANTHROPIC: 6, OPENAI: 1}


def test_shared_alias_counts_for_every_company():
    matcher = CompanyMatcher.build(
        [CompanyNames(1, "Alpha Labs", ["Nova"]), CompanyNames(2, "Beta Corp", ["Nova"])]
    )

    assert matcher.find(title="", summary="", text="Nova launched.") == {1: 1, 2: 1}


def test_no_companies():
    matcher = CompanyMatcher.build([])

    assert matcher.find(title="OpenAI", summary="OpenAI", text="OpenAI") == {}


def test_unusable_aliases_are_ignored():
    matcher = CompanyMatcher.build([CompanyNames(1, "Acme", ["", " ", "-", "A", "Acme"])])

    assert matcher.find(title="", summary="", text="A - Acme!") == {1: 1}


def test_user_supplied_ambiguous_words():
    matcher = CompanyMatcher.build(
        [CompanyNames(1, "Harvey", []), CompanyNames(2, "Glean", [])],
        ambiguous_words={"glean"},
    )

    assert matcher.find(title="", summary="", text="Insights we glean. Ask harvey.") == {1: 1}


# ---------------------------------------------------------------- bad input


def test_html_fragments(matcher):
    found = matcher.find(
        title="<b>Anthropic</b> &amp; friends",
        summary='<a href="https://openai.com/news">a link</a>',
        text="<p>Hugging Face</p><script>var openai = 1;</script>",
    )

    assert found == {ANTHROPIC: 2, HUGGING_FACE: 1}


def test_cyrillic_and_cjk_text(matcher):
    found = matcher.find(
        title="OpenAI发布GPT-5",
        summary="Компания Anthropic представила Claude.",
        text="深度求索与Hugging Face合作。",
    )

    assert found == {OPENAI: 4, ANTHROPIC: 2, HUGGING_FACE: 1}


@pytest.mark.parametrize("text", ["", " ", "\x00\ud800", "<div></div>", "&&&&", "İİİ OpenAI"])
def test_odd_input(matcher, text):
    found = find_in_text(matcher, text)

    assert found in ({}, {OPENAI: 1})


def test_long_text(matcher):
    paragraph = "Analysts compared OpenAI and Anthropic while the runway shortened. " * 1600

    found = find_in_text(matcher, paragraph)

    assert len(paragraph) > 100_000
    assert found == {OPENAI: 1600, ANTHROPIC: 1600}


# ---------------------------------------------------------------- primary company


def test_the_source_company_is_primary():
    assert primary_company(source_company_id=7, mentions={1: 10}) == 7


def test_otherwise_the_most_mentioned_company():
    assert primary_company(source_company_id=None, mentions={1: 3, 2: 5, 3: 1}) == 2


def test_no_primary_company_on_a_tie_or_without_mentions():
    assert primary_company(source_company_id=None, mentions={1: 3, 2: 3}) is None
    assert primary_company(source_company_id=None, mentions={}) is None
    assert primary_company(source_company_id=None, mentions={1: 0}) is None
