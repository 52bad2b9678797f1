"""``rnnkit pretrain``: a recurrent language model trained on texts without labels, for
``rnnkit classify --pretrained``. Its options come from
:data:`rnnkit.language_model_parameters.LANGUAGE_MODEL`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rnnkit.classification.presets import PRETRAINING
from rnnkit.cli.common import (
    add_text_source,
    add_workers_option,
    done_unless_first,
    launched,
    load_texts_column,
    say,
    state_dir,
)
from rnnkit.cli.options import add_parameters, given
from rnnkit.language_model_parameters import LANGUAGE_MODEL

__all__ = ["add_parser", "cmd_pretrain"]

# verbose, state_dir and threads come from --quiet, --out and --threads
OPTIONS = ["cell", "num_words", "embedding_dim", "units", "window", "dropout",
           "embedding_dropout", "validation", "epochs", "batch_size", "learning_rate",
           "weight_decay", "schedule", "clip_norm", "seed", "device"]


def _preset_text(settings: dict[str, Any]) -> str:
    units = "→".join(f"{settings['cell'].upper()}({u})" for u in settings["units"])
    return (f"Embedding({settings['embedding_dim']})→{units}, {settings['epochs']} epochs "
            "(then classify --preset with the same name)")


def add_parser(sub: Any) -> None:
    """``rnnkit pretrain``'s options."""
    r = sub.add_parser(
        "pretrain", help="train a language model on unlabelled texts, for classify --pretrained",
        description="Train a recurrent language model (next word, adaptive softmax) on texts "
                    "without labels — with --data imdb, the 50,000 unlabelled and 25,000 "
                    "training reviews of the archive (never the test reviews) — report the "
                    "perplexity of a held-out part after every epoch, save the run after every "
                    "epoch (--resume continues a killed one) and the model to --out, for "
                    "'rnnkit classify --pretrained OUT'.")
    d = r.add_argument_group("data")
    add_text_source(d, data_help="a named dataset (IMDB: its unlabelled and training reviews)",
                    csv_help="a CSV, TSV or JSONL file of texts")
    m = r.add_argument_group("network and training")
    m.add_argument("--preset", choices=list(PRETRAINING),
                   help="the language model a classify preset starts from: " + "; ".join(
                       f"{k}: {_preset_text(v)}" for k, v in PRETRAINING.items()))
    add_parameters(m, LANGUAGE_MODEL, OPTIONS,
                   aliases={"learning_rate": ["--lr", "--learning-rate"]})
    m.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--resume", action="store_true",
                   help="continue the run saved in OUT.state/ (written after every epoch) "
                        "from its last finished epoch")
    add_workers_option(r)
    r.add_argument("--out", type=Path, default=Path("runs/lm"), help="output directory")
    r.set_defaults(handler=cmd_pretrain)


def cmd_pretrain(args: argparse.Namespace) -> int:
    from rnnkit.data.text_datasets import imdb, imdb_unlabeled
    from rnnkit.language_model import TextLanguageModel

    if (status := launched(args)) is not None:
        return status
    settings = dict(PRETRAINING[args.preset]) if args.preset else {}
    lm = TextLanguageModel(**(settings | given(args, OPTIONS)), verbose=not args.quiet,
                           state_dir=state_dir(args.out))
    lm.check_params()  # argument errors before any data work
    if args.data == "imdb":
        train, _ = imdb(args.data_path)
        texts = imdb_unlabeled(args.data_path) + list(train.texts)
        source = "IMDB: 50,000 unlabelled + 25,000 training reviews (no test reviews)"
    else:
        texts = load_texts_column(args.csv, args.text_column)
        source = str(args.csv)
    say(f"Data: {source}: {len(texts):,} texts")
    lm.fit(texts, resume=args.resume)
    done_unless_first()
    for record in lm.history_.records:
        say(f"  epoch {record['epoch']}: held-out perplexity {record['val_perplexity']:.1f} "
            f"({record['seconds']:.0f} s, {record['tokens_per_s']:,.0f} words/s)"
            if "tokens_per_s" in record else
            f"  epoch {record['epoch']}: held-out perplexity {record['val_perplexity']:.1f}")
    lm.save(args.out)
    config = lm.network_.config
    say(f"Vocabulary {lm.vocabulary_.size:,} ids (uniform guessing: perplexity "
        f"{lm.num_words_:,}).")
    say(f"Saved language model: {args.out}/; use it: rnnkit classify ... --pretrained "
        f"{args.out} --cell {config.cell} --embedding-dim {config.embedding_dim} --units "
        f"{','.join(map(str, config.units))}")
    return 0
