"""Tests run two xdist workers on two cores: one torch thread per worker avoids oversubscription."""
import torch

torch.set_num_threads(1)
