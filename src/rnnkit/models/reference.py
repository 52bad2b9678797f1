"""Reference cells in NumPy, written the way the textbook equations read.

They take the weights of a trained rnnkit network and reproduce its outputs and final states
to float32 precision (the tests check this for every cell, stacked and bidirectional), so they
serve as the oracle for the fast path and as the readable version for learners. They also
return every gate's activation, which is what :func:`trace` records.

Notation, for one direction of one layer with ``H`` units: ``[h_{t-1}, x_t]`` is the previous
hidden state stacked on the input, ``σ`` the logistic function, ``*`` element-wise product.

SimpleRNN::

    h_t = tanh(W · [h_{t-1}, x_t] + b)

LSTM::

    f_t = σ(W_f · [h_{t-1}, x_t] + b_f)        forget gate: what the cell state keeps
    i_t = σ(W_i · [h_{t-1}, x_t] + b_i)        input gate: what it adds
    C̃_t = tanh(W_C · [h_{t-1}, x_t] + b_C)     candidate values
    C_t = f_t * C_{t-1} + i_t * C̃_t            new cell state
    o_t = σ(W_o · [h_{t-1}, x_t] + b_o)        output gate: what it shows
    h_t = o_t * tanh(C_t)

GRU (the ``reset_after`` form Keras uses by default and PyTorch uses always)::

    r_t = σ(W_r · [h_{t-1}, x_t] + b_r)                          reset gate
    z_t = σ(W_z · [h_{t-1}, x_t] + b_z)                          update gate
    h̃_t = tanh(W_hx · x_t + b_hx + r_t * (W_hh · h_{t-1} + b_hh)) candidate
    h_t = (1 - z_t) * h̃_t + z_t * h_{t-1}

>>> import numpy as np
>>> w = {"W_f": np.zeros((2, 3)), "W_i": np.zeros((2, 3)), "W_C": np.zeros((2, 3)),
...      "W_o": np.zeros((2, 3)), "b_f": np.full(2, 10.0), "b_i": np.zeros(2),
...      "b_C": np.zeros(2), "b_o": np.zeros(2)}
>>> h, c, gates = lstm_step(np.ones(1), np.zeros(2), np.ones(2), w)
>>> round(float(gates["forget"][0]), 4), round(float(c[0]), 4)  # forget gate open: C kept
(1.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["GATE_NAMES", "gru_step", "layer_weights", "lstm_step", "network_forward",
           "rnn_step", "run_dilated", "run_layer", "sigmoid"]

# What each cell records per step, in order.
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn": ("hidden",),
    "lstm": ("forget", "input", "candidate", "output", "cell", "hidden"),
    "gru": ("reset", "update", "candidate", "hidden"),
}


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -x))


def rnn_step(x: np.ndarray, h: np.ndarray, w: dict[str, np.ndarray]
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One SimpleRNN step: ``h_t = tanh(W · [h_{t-1}, x_t] + b)``."""
    h = np.tanh(w["W"] @ np.concatenate([h, x]) + w["b"])
    return h, {"hidden": h}


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: dict[str, np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step; returns ``h_t``, ``C_t`` and the gates."""
    hx = np.concatenate([h, x])  # [h_{t-1}, x_t]
    f = sigmoid(w["W_f"] @ hx + w["b_f"])
    i = sigmoid(w["W_i"] @ hx + w["b_i"])
    c_tilde = np.tanh(w["W_C"] @ hx + w["b_C"])
    c = f * c + i * c_tilde
    o = sigmoid(w["W_o"] @ hx + w["b_o"])
    h = o * np.tanh(c)
    return h, c, {"forget": f, "input": i, "candidate": c_tilde, "output": o, "cell": c,
                  "hidden": h}


def gru_step(x: np.ndarray, h: np.ndarray, w: dict[str, np.ndarray]
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One GRU step (reset applied after the recurrent product)."""
    hx = np.concatenate([h, x])
    r = sigmoid(w["W_r"] @ hx + w["b_r"])
    z = sigmoid(w["W_z"] @ hx + w["b_z"])
    h_tilde = np.tanh(w["W_hx"] @ x + w["b_hx"] + r * (w["W_hh"] @ h + w["b_hh"]))
    h = (1.0 - z) * h_tilde + z * h
    return h, {"reset": r, "update": z, "candidate": h_tilde, "hidden": h}


def layer_weights(layer: Any, direction: str) -> dict[str, np.ndarray]:
    """One direction of an rnnkit :class:`~rnnkit.models.layers.Recurrent` layer, renamed to
    the equations' symbols (float64). PyTorch's gate blocks are ``[i, f, g, o]`` for the LSTM
    and ``[r, z, n]`` for the GRU; ``W = [W_hh, W_ih]`` matches ``[h_{t-1}, x_t]``."""
    w_ih, w_hh, b_ih, b_hh = (t.detach().cpu().double().numpy()
                              for t in layer.direction_weights(direction))
    h = layer.hidden_size
    block = lambda a, k: a[k * h:(k + 1) * h]  # noqa: E731 - a one-line slice helper
    joined = lambda k: np.concatenate([block(w_hh, k), block(w_ih, k)], axis=1)  # noqa: E731
    if layer.cell == "rnn":
        return {"W": joined(0), "b": b_ih + b_hh}
    if layer.cell == "lstm":
        bias = b_ih + b_hh
        return {f"W_{g}": joined(k) for k, g in enumerate("ifCo")} | {
            f"b_{g}": block(bias, k) for k, g in enumerate("ifCo")}
    return {"W_r": joined(0), "b_r": block(b_ih, 0) + block(b_hh, 0),
            "W_z": joined(1), "b_z": block(b_ih, 1) + block(b_hh, 1),
            "W_hx": block(w_ih, 2), "b_hx": block(b_ih, 2),
            "W_hh": block(w_hh, 2), "b_hh": block(b_hh, 2)}


def run_layer(cell: str, x: np.ndarray, w: dict[str, np.ndarray]
              ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run one direction over one sequence ``x`` ``(T, H_in)`` from zero state.

    Returns the hidden states ``(T, H)`` and each recorded gate/state as ``(T, H)``.
    """
    size = len(w["b"]) if cell == "rnn" else len(w["b_f"] if cell == "lstm" else w["b_r"])
    h, c = np.zeros(size), np.zeros(size)
    records: dict[str, list[np.ndarray]] = {name: [] for name in GATE_NAMES[cell]}
    for x_t in x:
        if cell == "lstm":
            h, c, gates = lstm_step(x_t, h, c, w)
        elif cell == "gru":
            h, gates = gru_step(x_t, h, w)
        else:
            h, gates = rnn_step(x_t, h, w)
        for name in records:
            records[name].append(gates[name])
    stacked = {k: np.array(v).reshape(len(x), size) for k, v in records.items()}
    return stacked["hidden"], stacked


def run_dilated(cell: str, x: np.ndarray, w: dict[str, np.ndarray], dilation: int,
                reverse: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`run_layer` with each step linked to the one ``dilation`` steps before it: the
    steps ``r, r + d, r + 2d, …`` of ``x`` (zero-padded in front to a multiple of ``d``) are
    run as ``d`` separate sequences from zero state (each read backwards with ``reverse``),
    and their outputs put back in input order.

    >>> w = {"W": np.zeros((1, 2)), "b": np.zeros(1)}
    >>> w["W"][0] = [1.0, 1.0]  # h_t = tanh(h_(t-d) + x_t)
    >>> hidden, _ = run_dilated("rnn", np.ones((4, 1)), w, 2)
    >>> np.round(hidden[:, 0], 3).tolist()  # steps 2 and 3 follow steps 0 and 1
    [0.762, 0.762, 0.943, 0.943]
    """
    pad = (-len(x)) % dilation
    padded = np.concatenate([np.zeros((pad, x.shape[1])), x]) if pad else x
    hidden = np.zeros((len(padded), 0))
    records: dict[str, np.ndarray] = {}
    for r in range(dilation):
        chain = padded[r::dilation]
        part, gates = run_layer(cell, chain[::-1] if reverse else chain, w)
        if reverse:
            part, gates = part[::-1], {k: v[::-1] for k, v in gates.items()}
        if not records:
            hidden = np.zeros((len(padded), part.shape[1]))
            records = {k: np.zeros((len(padded), v.shape[1])) for k, v in gates.items()}
        hidden[r::dilation] = part
        for k, v in gates.items():
            records[k][r::dilation] = v
    return hidden[pad:], {k: v[pad:] for k, v in records.items()}


def network_forward(network: Any, x: np.ndarray) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Run a whole :class:`~rnnkit.models.network.RecurrentNetwork` on ONE sequence with the
    reference cells: ``x`` ``(T, F)`` floats, or ``(T,)`` token ids without padding.

    Returns the head's output ``(output_size,)`` and, per layer, ``{"outputs": (T, D·H),
    "last": (D·H,), "directions": {name: {gate: (T, H)}}}`` where the backward direction's
    arrays are in input order (step t is token t).
    """
    import torch

    config = network.config
    with torch.no_grad():
        if config.tokens:
            device = next(network.parameters()).device
            ids = torch.as_tensor(np.asarray(x), dtype=torch.long, device=device)[None]
            h = network.embedding(ids)[0].cpu().double().numpy()  # (T, E) or one-hot (T, V)
        else:
            h = np.asarray(x, dtype=np.float64)
    layers = []
    for layer in network.recurrent:
        outputs, directions = [], {}
        for direction in layer.directions:
            w = layer_weights(layer, direction)
            seq = h if direction == "forward" else h[::-1]
            if layer.dilation > 1:  # in input order already
                hidden, gates = run_dilated(layer.cell, h, w, layer.dilation,
                                            reverse=direction == "backward")
            else:
                hidden, gates = run_layer(layer.cell, seq, w)
            if direction == "backward" and layer.dilation == 1:  # back to input order
                hidden = hidden[::-1]
                gates = {k: v[::-1] for k, v in gates.items()}
            outputs.append(hidden)
            directions[direction] = gates
        h = np.concatenate(outputs, axis=1)  # (T, D·H)
        last = np.concatenate([outputs[0][-1]] + ([outputs[1][0]] if len(outputs) > 1 else []))
        layers.append({"outputs": h, "last": last, "directions": directions})
    def numpy(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().double().numpy()

    z = layers[-1]["last"]
    for dense in network.dense:
        z = np.maximum(numpy(dense.weight) @ z + numpy(dense.bias), 0.0)
    return numpy(network.head.weight) @ z + numpy(network.head.bias), layers
