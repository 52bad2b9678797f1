"""Starting a classifier from a pretrained language model: the model, checked against the
classifier's settings, and the weights taken from it."""

from __future__ import annotations

from typing import Any

from rnnkit.errors import RnnkitError

__all__ = ["pretrained_model", "take_weights"]


def pretrained_model(p: dict[str, Any]) -> Any:
    """The language model of ``pretrained``, checked against this classifier's settings."""
    if p["pretrained"] is None:
        return None
    from rnnkit.language_model import TextLanguageModel

    lm = TextLanguageModel.load(p["pretrained"], device=p["device"])
    ours = {"cell": p["cell"], "embedding_dim": p["embedding_dim"], "units": p["units"]}
    theirs = {"cell": lm.network_.config.cell,
              "embedding_dim": lm.network_.config.embedding_dim,
              "units": tuple(lm.network_.config.units)}
    differ = [f"{k}={ours[k]!r} (the language model: {theirs[k]!r})" for k in ours
              if ours[k] != theirs[k]]
    if differ:
        raise RnnkitError(f"`pretrained` {p['pretrained']!r} has another shape: "
                          f"{', '.join(differ)}; set them as the language model has them.")
    if p["token_pattern"] is not None:
        raise RnnkitError("`token_pattern` must be None with `pretrained`: the language "
                          "model's vocabulary is of rnnkit's default tokens.")
    return lm


def take_weights(network: Any, source: Any) -> list[str]:
    """Copy into ``network`` every embedding and recurrent weight of ``source`` (a language
    model) whose name and shape it has; a bidirectional classifier takes the forward
    direction's. Returns the names taken."""
    import torch

    theirs = source.state_dict()
    taken = []
    with torch.no_grad():
        for name, value in network.state_dict().items():
            if not name.startswith(("embedding.", "recurrent.")):
                continue
            if name in theirs and theirs[name].shape == value.shape:
                value.copy_(theirs[name])
                taken.append(name)
    return taken
