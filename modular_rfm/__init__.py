"""modular_rfm: grokking modular arithmetic with Recursive Feature Machines (AGOP).

Mallinar, Beaglehole, Zhu, Radhakrishnan, Pandit & Belkin, "Emergence in
non-neural models: grokking modular arithmetic via average gradient outer
product" (arXiv:2407.20199).  Independent of the other grokcheck packages.
"""
from ._analysis import ONSET_MEASURES, PHASE_COLUMNS, measure_onsets, phase_diagram, summarise_phase
from ._agop import (
    DEFAULT_CHUNK_BYTES,
    agop_dense,
    agop_from_gradients,
    agop_onehot,
    input_gradients_dense,
    input_gradients_onehot,
    matrix_power_psd,
)
from ._baseline import RECIPES, random_block_circulant, random_feature_baseline
from ._data import (
    OPERATIONS,
    ModularDataset,
    all_pairs,
    apply_op,
    discrete_log_order,
    make_dataset,
    normalise_op,
    one_hot,
    primitive_root,
)
from ._kernels import BANDWIDTH_SCALINGS, KERNELS, Kernel, dense_gram, onehot_gram, onehot_quad
from ._machine import KernelFit, evaluate_features, fit_kernel_machine, predict_onehot, solve_kernel_system
from ._measures import (
    CIRCULANT_DIRECTIONS,
    accuracy,
    agop_alignment,
    circulant_deviation,
    correct_class_loss,
    effective_dimension,
    mse,
    offdiagonal_block,
    task_direction,
)
from ._nn import NNResult, network_agop, pearson, train_quadratic_network
from ._rfm import CURVE_COLUMNS, RFMResult, run_rfm, split_seeds
from ._structure import block_circulant_matrix, project_block_circulant, structure_deviation
from ._trace import ENFORCE, GRADIENT_PATHS, RECORD_COLUMNS, RFMTrace, rfm_trace
from ._validation import is_prime, rfm_memory_bytes

__all__ = [
    # simulator
    "run_rfm", "RFMResult", "rfm_trace", "RFMTrace", "split_seeds", "GRADIENT_PATHS", "ENFORCE",
    "CURVE_COLUMNS", "RECORD_COLUMNS", "rfm_memory_bytes",
    # data
    "OPERATIONS", "normalise_op", "ModularDataset", "make_dataset", "all_pairs", "apply_op", "one_hot",
    "primitive_root", "discrete_log_order", "is_prime",
    # kernels and the kernel machine
    "KERNELS", "BANDWIDTH_SCALINGS", "Kernel", "onehot_gram", "onehot_quad", "dense_gram",
    "KernelFit", "fit_kernel_machine", "evaluate_features", "solve_kernel_system", "predict_onehot",
    # AGOP
    "agop_onehot", "agop_dense", "agop_from_gradients", "input_gradients_onehot",
    "input_gradients_dense", "matrix_power_psd", "DEFAULT_CHUNK_BYTES",
    # random block-circulant baseline
    "RECIPES", "random_block_circulant", "random_feature_baseline",
    # enforced block-circulant structure
    "project_block_circulant", "block_circulant_matrix", "structure_deviation",
    # optional neural-network comparison (torch imported lazily)
    "NNResult", "train_quadratic_network", "network_agop", "pearson",
    # studies: training-fraction phase diagram, onsets of the progress measures
    "phase_diagram", "summarise_phase", "PHASE_COLUMNS", "measure_onsets", "ONSET_MEASURES",
    # progress measures
    "CIRCULANT_DIRECTIONS", "task_direction", "circulant_deviation", "offdiagonal_block",
    "agop_alignment", "effective_dimension", "accuracy", "mse", "correct_class_loss",
]
