"""The default taxonomy against hand labels of the seed papers (tests/labels/*.yaml).

The labels were written by reading each paper's title and abstract before the rules were
tuned; they are not fitted to the rules. The pairs the rules still get wrong are listed
below, each with why: they must stay wrong (a fix moves them out of the list), and every
other pair must hold.
"""

from __future__ import annotations

import collections
from functools import cache
from pathlib import Path

import pytest
import yaml

from generator.classify import Classification, classify, sentences, taxonomy
from generator.config import Config, Rule, load_config
from generator.records import read_record

ROOT = Path(__file__).resolve().parent.parent
LABELS = Path(__file__).resolve().parent / "labels"

# (slug, tag): what the abstract never says where a reader would look for it
KNOWN_TAG_MISSES = {
    # the abstract says "denoising U-Net", never diffusion
    ("a-neural-space-time-representation-for-text-to-image-personalization", "Diffusion"),
    # the benchmark is named once, in one sentence
    ("compressing-llms-the-truth-is-rarely-pure-and-never-simple", "Benchmark"),
    ("recbench-systematically-investigates-various-item-representation-forms", "Benchmark"),
    ("ufinebench-towards-text-based-person-retrieval-with-ultra-fine-granularity", "Benchmark"),
    ("ufinebench-towards-text-based-person-retrieval-with-ultra-fine-granularity", "Dataset"),
    # interpretability only in the background ("difficult to interpret")
    (
        "decoding-specialised-feature-neurons-in-llms-with-the-final-projection-layer",
        "Interpretability",
    ),
    # the tasks evaluated on, named in one sentence of results
    ("denseclip-language-guided-dense-prediction-with-context-aware-prompting", "Segmentation"),
    ("iterprime-iterative-grad-cam-refinement-and-primary-word-emphasis", "Segmentation"),
    (
        "pyramid-vision-transformer-a-versatile-backbone-for-dense-prediction-without",
        "Segmentation",
    ),
    (
        "pyramid-vision-transformer-a-versatile-backbone-for-dense-prediction-without",
        "Object Detection",
    ),
    ("l2cocc-a-lightweight-camera-centric-ssc-framework", "Knowledge Distillation"),
    (
        "openshape-scaling-up-3d-shape-representation-towards-open-world-understanding",
        "Contrastive Learning",
    ),
    ("univid-unifying-vision-tasks-with-pre-trained-video-generation-models", "Diffusion"),
    # LLMs named in the first sentence only, the rest says "the model"
    ("explore-execute-chain-towards-an-efficient-structured-reasoning-paradigm", "LLM"),
    ("lora-mixer-coordinate-modular-lora-experts-through-serial-attention-routing", "LLM"),
    ("lora-vs-full-fine-tuning-an-illusion-of-equivalence", "LLM"),
    ("lower-layer-matters-alleviating-hallucination-via-multi-layer-fusion-contrastive", "LLM"),
    ("sppd-self-training-framework-integrating-process-preference-learning-using", "LLM"),
}
# (slug, tag) shown though wrong: the words are in the paper's own claims
KNOWN_TAG_WRONG = {
    # "applicable to both MoE and dense models", "we evaluate on ... MoE models"
    (
        "finequant-unlocking-efficiency-with-fine-grained-weight-only-quantization-for",
        "Mixture of Experts",
    ),
    # "forgery images from ... GANs and diffusion models"
    ("forgery-aware-adaptive-transformer-for-generalizable-synthetic-image-detection", "Diffusion"),
}
# slug: the topic labelled, where the rules choose another
KNOWN_TOPIC_MISSES = {
    "break-for-make-modular-low-rank-adaptations-for-composable-content-style",  # adapters
    "generating-images-with-multimodal-language-models",  # LLMs throughout
    "gpt4scene-understand-3d-scenes-from-videos-with-vision-language-models",  # 3D, video
    "hierarchical-visual-primitive-experts-for-compositional-zero-shot-learning",  # embeddings
    "investigating-the-impact-of-model-complexity-in-large-language-models",  # LLMs
    "pre-trained-knowledge-elevates-large-language-models-beyond-traditional-chemical",  # LLMs
    "time-moe-billion-scale-time-series-foundation-models-with-mixture-of-experts",  # MoE
}


@cache
def seed_classes() -> dict[str, Classification]:
    config, _ = load_config(ROOT / "digest.yaml")
    known = taxonomy(config)
    out = {}
    for path in sorted((ROOT / "content" / "papers").glob("*.md")):
        record, _ = read_record(path)
        assert record is not None, path
        meta = record.meta
        out[record.slug] = classify(
            config,
            meta.get("title") or "",
            meta.get("abstract") or "",
            meta.get("topic"),
            tuple(meta.get("tags") or ()),
            known,
        )
    return out


def labels(name: str) -> dict[str, dict]:
    return yaml.safe_load((LABELS / name).read_text(encoding="utf-8"))["papers"]


def test_the_labels_are_many_and_name_seed_papers_and_taxonomy_names() -> None:
    config, _ = load_config(ROOT / "digest.yaml")
    tags = {rule.name for rule in config.tags}
    topics = {rule.name for rule in config.topics} | {config.other_topic}
    seeds = seed_classes()
    tag_labels, topic_labels = labels("tags.yaml"), labels("topics.yaml")
    assert set(tag_labels) <= set(seeds) and set(topic_labels) <= set(seeds)
    has = [(s, t) for s, lab in tag_labels.items() for t in lab.get("has", [])]
    not_ = [(s, t) for s, lab in tag_labels.items() for t in lab.get("not", [])]
    assert len(has) >= 80 and len(not_) >= 40
    assert {t for _, t in has + not_} <= tags
    is_ = [(s, lab["is"]) for s, lab in topic_labels.items() if "is" in lab]
    not_topic = [(s, t) for s, lab in topic_labels.items() for t in lab.get("not", [])]
    assert len(is_) >= 80 and len(not_topic) >= 40
    assert {t for _, t in is_ + not_topic} <= topics


def test_the_tags_hand_labelled_hold() -> None:
    seeds = seed_classes()
    missing, wrong = set(), set()
    for slug, lab in labels("tags.yaml").items():
        shown = seeds[slug].tags
        missing |= {(slug, t) for t in lab.get("has", []) if t not in shown}
        wrong |= {(slug, t) for t in lab.get("not", []) if t in shown}
    assert sorted(missing - KNOWN_TAG_MISSES) == []
    assert sorted(wrong - KNOWN_TAG_WRONG) == []
    # a known miss that holds now: take it out of the list
    assert sorted(KNOWN_TAG_MISSES - missing) == []
    assert sorted(KNOWN_TAG_WRONG - wrong) == []


def test_the_topics_hand_labelled_hold() -> None:
    seeds = seed_classes()
    missed, wrong = set(), []
    for slug, lab in labels("topics.yaml").items():
        topic = seeds[slug].topic
        if "is" in lab and topic != lab["is"]:
            missed.add(slug)
        wrong += [(slug, t) for t in lab.get("not", []) if t == topic]
    assert sorted(missed - KNOWN_TOPIC_MISSES) == []
    assert sorted(KNOWN_TOPIC_MISSES - missed) == []
    assert wrong == []


def test_no_tag_is_on_more_than_two_fifths_of_the_seeds() -> None:
    seeds = seed_classes()
    counts = collections.Counter(t for c in seeds.values() for t in c.tags)
    tag, most = counts.most_common(1)[0]
    assert most <= 0.4 * len(seeds), (tag, most)
    # and the seeds are tagged: most papers have a tag, none more than six
    assert sum(1 for c in seeds.values() if c.tags) >= 0.9 * len(seeds)
    assert max(len(c.tags) for c in seeds.values()) <= 6


def test_no_topic_holds_a_third_of_the_seeds_and_other_few() -> None:
    seeds = seed_classes()
    counts = collections.Counter(c.topic for c in seeds.values())
    assert counts.most_common(1)[0][1] <= len(seeds) / 3
    assert counts.get("Other", 0) < len(seeds) / 10


# -- the rules ---------------------------------------------------------------------------

RULES = Config(
    topics=(Rule("Vision", "vision", keywords=("segmentation", "detection")),),
    tags=(
        Rule("Detection", "detection", keywords=("detection",), exclude=("anomaly detection",)),
        Rule("LLM", "llm", keywords=("llm", "llms"), phrases=("large language models",)),
        Rule("Open Source", "open-source", keywords=("open-source",)),
    ),
)


def test_background_alone_never_tags_a_paper() -> None:
    abstract = (
        "Large language models (LLMs) have changed NLP. LLMs are large. "
        "We propose a method for tabular data. It works well."
    )
    assert classify(RULES, "A tabular method", abstract).tags == ()


def test_a_claim_and_the_background_tag_a_paper_and_so_do_two_claims() -> None:
    once = "LLMs are popular. We propose a way to prune LLMs. It is fast."
    assert classify(RULES, "Pruning", once).tags == ("LLM",)
    twice = "We propose to prune LLMs. Our pruned LLMs are fast."
    assert classify(RULES, "Pruning", twice).tags == ("LLM",)
    one = "Pruning is popular. We propose to prune LLMs. It is fast."
    assert classify(RULES, "Pruning", one).tags == ()
    assert classify(RULES, "Pruning LLMs", "").tags == ("LLM",)


def test_availability_notes_are_no_evidence() -> None:
    abstract = (
        "We propose a parser. Our parser is accurate. "
        "Our code is open-source and publicly available at https://github.com/a/b."
    )
    assert classify(RULES, "A parser", abstract).tags == ()
    claims, background = sentences(abstract)
    assert "github" not in claims and background == " "


def test_excluded_phrases_do_not_count_for_their_rule() -> None:
    anomalies = "We propose anomaly detection for images. Our anomaly detection is fast."
    found = classify(RULES, "Anomaly detection in factories", anomalies)
    assert found.tags == ()
    assert found.topic == "Vision"  # the topic does not exclude it
    objects = "We propose anomaly detection and object detection. Our detection is fast."
    assert classify(RULES, "Finding things", objects).tags == ("Detection",)


def test_tags_come_in_taxonomy_order_after_the_records_own() -> None:
    both = "We propose detection with LLMs. Our LLM detection is fast."
    assert classify(RULES, "LLM detection", both).tags == ("Detection", "LLM")
    own = classify(RULES, "LLM detection", both, extra=("Mine", "llm"))
    assert own.tags == ("Mine", "LLM", "Detection")  # spelled as the taxonomy does


@pytest.mark.parametrize(
    "text",
    ["Ünïcödé façade, naïve café. We propose façades for cafés.", "No stops at all", ""],
)
def test_reading_any_text(text: str) -> None:
    assert isinstance(classify(RULES, text, text), Classification)
