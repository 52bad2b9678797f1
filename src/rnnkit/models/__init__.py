"""Neural network modules: recurrent layers with Keras's conventions and the network around them."""

from rnnkit.models.layers import CELLS, Recurrent
from rnnkit.models.network import NetworkConfig, RecurrentNetwork

__all__ = ["CELLS", "NetworkConfig", "Recurrent", "RecurrentNetwork"]
