"""local_rules: tensor-network attention learning K-local cellular-automaton rules.

Scenario B (fixed context tensors, train only the classifier; paper sec. 4.3.1)
and scenario A (train everything; sec. 4.3.2) as batched ensembles.  See
docs/local_rules.md.  Imports only numpy/pandas at import time; torch is
imported lazily inside the functions that need it.
"""
from ._bulk_transition import assign_corner, bulk_sample_size, bulk_transition, last_wrong, resolved_window
from ._corner_study import (context_histories, corner_mixture, corner_study, identify_corners, symbol_exponents,
                            tail_symbol)
from ._contexts import Contexts, bulk_contexts, contexts_of_test_set, position_contexts, xi_closed_form
from ._data import BOUNDARIES, Block, PositionSet, Trie, build_position_set, make_dataset, make_test_set
from ._memory import check_memory, scenario_a_memory_bytes, scenario_b_memory_bytes
from ._metrics import effective_dimension, detect_spikes
from ._network import (boundary_states, context_states, eigen_boundary_vectors, features_numpy,
                       leading_eigenvectors, network_features, network_outputs, outputs_numpy,
                       padding_limit_exists)
from ._results import ScenarioAResult, ScenarioBResult, mean_curve
from ._rules import all_inputs, apply_rule, random_inputs, rule_table
from ._scenario_a import SCENARIO_A_BOUNDARIES, init_params, run_scenario_a, train_ensemble
from ._scenario_a_study import PAPER_SETTINGS, ScenarioAStudy, aligned_mean, scenario_a_study
from ._scenario_a_summary import count_sign_flips, jump_runs
from ._scenario_b import (acceptance, grokking_probability_map, run_scenario_b, sample_accepted_A,
                          scenario_b_problem, stationary_classifier)
from ._tensors import EXAMPLES, example_tensor, exact_1local_tensor, resolve_A

__all__ = [
    "assign_corner", "bulk_sample_size", "bulk_transition", "last_wrong", "resolved_window",
    "context_histories", "corner_mixture", "corner_study", "identify_corners", "symbol_exponents", "tail_symbol",
    "Contexts", "bulk_contexts", "contexts_of_test_set", "position_contexts", "xi_closed_form",
    "BOUNDARIES", "Block", "PositionSet", "Trie", "build_position_set", "make_dataset", "make_test_set",
    "effective_dimension", "detect_spikes",
    "boundary_states", "context_states", "features_numpy", "leading_eigenvectors", "network_features",
    "network_outputs", "outputs_numpy", "eigen_boundary_vectors", "padding_limit_exists",
    "ScenarioAResult", "ScenarioBResult", "mean_curve",
    "all_inputs", "apply_rule", "random_inputs", "rule_table",
    "run_scenario_a", "init_params", "train_ensemble", "SCENARIO_A_BOUNDARIES", "jump_runs", "count_sign_flips",
    "PAPER_SETTINGS", "ScenarioAStudy", "aligned_mean", "scenario_a_study",
    "acceptance", "grokking_probability_map", "run_scenario_b", "sample_accepted_A", "scenario_b_problem",
    "stationary_classifier",
    "EXAMPLES", "example_tensor", "exact_1local_tensor", "resolve_A",
    "check_memory", "scenario_a_memory_bytes", "scenario_b_memory_bytes",
]
