"""How the pages word each outcome the engine decides (``app.engine.run.outcome.OUTCOMES``).

One entry per outcome id:

* ``gloss`` — what it means, for the API's reference (``app.api.schemas``);
* ``group`` — where a map puts a ball that ended so away from a minimum: ``not_settled``,
  ``stopped`` or ``away`` (:data:`MAP_GROUPS`); ``settles`` — a ball that ended so *at* a
  minimum of the surface's list is shown in that minimum's colour instead;
* ``guess`` — the choice a predict-first lesson offers;
* ``sentence`` — the status line for one ball; ``share`` — a map legend's verb phrase for
  many balls ("62% of the starts (248) …");
* ``so_far`` — the running verdict while a ball rolls: how its run stands on the steps so
  far (the stream's ``verdict``), a phrase the status line starts with ("Bouncing so far —
  step 120 at x = 1.5");
* ``ended`` — how a racer's run ended, a phrase for a race's status line, which names every
  racer beside the plot ("Momentum: reached the global minimum after 81 steps").

A sentence or share is a set of variants: the page takes the first whose condition holds
(``maximize``: gradient ascent; ``without_minimum``: the ball is at no minimum of the list;
``float16``, ``minibatch`` (a model landscape's batch smaller than its data set), ``l2``
(coupled weight decay), ``lbfgs``, ``sam`` (the run's ``sam_rho`` > 0), ``no_minimum``:
the surface has none at all), else
``default``, and fills in the ``{names}`` (``static/js/verdict.js``).
"""

from __future__ import annotations

from typing import Any

# The noun for what a run heads for, in the sentences' {goal}.
GOALS = {"descent": "minimum", "ascent": "hilltop"}

MAP_GROUPS: dict[str, dict[str, str]] = {
    "not_settled": {"color": "#F0E442", "label": "not settled (crawling, bouncing, jittering)"},
    "stopped": {"color": "#bdbdbd", "label": "stopped away from a minimum"},
    "away": {"color": "#2b2b2b", "label": "diverged or ran away"},
}

_PLAY_ON = "Press Play to go on."

OUTCOME_WORDS: dict[str, dict[str, Any]] = {
    "global_minimum": {
        "gloss": "at `surface.minima[minimum]`, the lowest one",
        "group": "stopped",
        "settles": True,
        "guess": "It reaches the lowest valley (the global minimum).",
        "sentence": {"default": "Reached the global minimum at {at} after {steps}."},
        "share": {"default": "reach the global minimum at {at}"},
        "so_far": {"default": "settling into the global minimum"},
        "ended": {"default": "reached the global minimum"},
    },
    "local_minimum": {
        "gloss": "at `surface.minima[minimum]`, not the lowest; with a null `minimum`, a "
        "valley floor off the plotted domain",
        "group": "stopped",
        "settles": True,
        "guess": "It settles in a valley that is not the lowest (a local minimum).",
        "sentence": {
            "without_minimum": "Settled in a valley at {at} after {steps}: the lowest point "
            "nearby lies outside the drawn landscape.",
            "default": "Settled in a local minimum at {at} after {steps} — the global minimum "
            "is at {global}.",
        },
        "share": {
            "without_minimum": "settle in a valley whose lowest point lies outside the drawn "
            "landscape",
            "default": "settle in {name} at {at}",
        },
        "so_far": {
            "without_minimum": "settling in a valley whose lowest point lies outside the "
            "drawn landscape",
            "default": "settling into a local minimum, not the lowest",
        },
        "ended": {
            "without_minimum": "settled in a valley whose lowest point lies outside the drawn "
            "landscape",
            "default": "settled in {name}, not the lowest",
        },
    },
    "saddle": {
        "gloss": "the gradient vanishes at a saddle point",
        "group": "stopped",
        "settles": False,
        "guess": "It stops on a saddle point.",
        "sentence": {
            "default": "Stuck at {at} after {steps}: the gradient vanishes here, but it is no "
            "minimum — a saddle point."
        },
        "share": {"default": "stop at a saddle point: the gradient vanishes, but it is no minimum"},
        "so_far": {"default": "stuck at a saddle point"},
        "ended": {"default": "stuck at a saddle point"},
    },
    "maximum": {
        "gloss": "came to rest on a hilltop",
        "group": "stopped",
        "settles": False,
        "guess": "It comes to rest on a hilltop.",
        "sentence": {
            "maximize": "Reached a hilltop at {at} after {steps}: gradient ascent climbs to a "
            "maximum.",
            "default": "Came to rest on a hilltop at {at} after {steps}: the gradient vanishes "
            "at a maximum too, and this method heads for any flat point.",
        },
        "share": {"maximize": "climb to a hilltop", "default": "come to rest on a hilltop"},
        "so_far": {"maximize": "climbing onto a hilltop", "default": "coming to rest on a hilltop"},
        "ended": {"maximize": "reached a hilltop", "default": "came to rest on a hilltop"},
    },
    "plateau": {
        "gloss": "the gradient is too small to move, far from any minimum",
        "group": "stopped",
        "settles": False,
        "guess": "It gets stranded on a flat plateau.",
        "sentence": {
            "default": "Stranded on a plateau at {at} after {steps}: the gradient here is too "
            "small to move the ball, and no {goal} is near."
        },
        "share": {"default": "are stranded on a plateau: the gradient is too small to move them"},
        "so_far": {"default": "stranded on a plateau"},
        "ended": {"default": "stranded on a plateau"},
    },
    "ran_away": {
        "gloss": "unbounded: left the box going the way it was headed",
        "group": "away",
        "settles": False,
        "guess": "It runs away for ever (the surface has no bottom there).",
        "sentence": {
            "maximize": "Ran away uphill {when}: in this direction the surface climbs forever.",
            "no_minimum": "Ran away downhill {when}. {no_minimum}",
            "default": "Ran away downhill {when}: in this direction the surface has no bottom.",
        },
        "share": {
            "maximize": "run away uphill: the surface climbs forever",
            "default": "run away downhill: the surface has no bottom",
        },
        "so_far": {"maximize": "running away uphill", "default": "running away downhill"},
        "ended": {"maximize": "ran away uphill", "default": "ran away downhill"},
    },
    "diverged": {
        "gloss": "too large a step",
        "group": "away",
        "settles": False,
        "guess": "It flies off: the steps blow up (diverges).",
        "sentence": {
            "float16": "Diverged {when}: a float16 gradient may have overflowed (above 65504) "
            "— try a smaller loss scale or learning rate.",
            "minibatch": "Diverged {when}: batch size {batch_size} makes each step's gradient "
            "noisy: try a smaller learning rate or a larger batch.",
            "default": "Diverged {when}: the step threw the ball off. The learning rate is "
            "too large.",
        },
        "share": {"default": "diverge: the step throws the ball off"},
        "so_far": {"default": "diverging"},
        "ended": {"default": "diverged"},
    },
    "float16_stuck": {
        "gloss": "float16 rounds the gradient to zero",
        "group": "stopped",
        "settles": False,
        "guess": "It is stuck: float16 rounds the gradient to zero.",
        "sentence": {
            "default": "Stuck at {at}: float16 rounds every gradient component to zero here, "
            "so the optimizer sees flat ground. A loss scale (try 1024×) lifts the gradient "
            "back into float16's range."
        },
        "share": {"default": "are stuck: float16 rounds their gradient to zero"},
        "so_far": {"default": "stuck: float16 rounds the gradient to zero"},
        "ended": {"default": "stuck: float16 rounds the gradient to zero"},
    },
    "stalled": {
        "gloss": "steps shrank to nothing away from a minimum",
        "group": "stopped",
        "settles": False,
        "guess": "It stops short: the steps shrink to nothing.",
        "sentence": {
            "l2": "Came to rest at {at} after {steps}, where weight decay's pull toward 0 "
            "balances the slope: the lowest point of f + (λ/2)·‖x‖², not a minimum of f "
            "itself.",
            "lbfgs": "Stopped at {at} after {steps}, short of a {goal}: the steps have shrunk "
            "to nothing (L-BFGS: its tolerance_change test ends each step).",
            "default": "Stopped at {at} after {steps}, short of a {goal}: the steps have "
            "shrunk to nothing.",
        },
        "share": {"default": "stop short of a minimum: their steps shrink to nothing"},
        "so_far": {"default": "stopping short of a {goal}"},
        "ended": {
            "l2": "came to rest where weight decay's pull balances the slope",
            "default": "stopped short of a {goal}",
        },
    },
    "bouncing": {
        "gloss": "the learning rate is too large to settle",
        "group": "not_settled",
        "settles": False,
        "guess": "It keeps bouncing and never settles.",
        "sentence": {
            "default": "Still bouncing after {steps}, now at {at}: the learning rate is too "
            "large to settle. " + _PLAY_ON
        },
        "share": {
            "default": "are still bouncing after {steps}: the learning rate is too large to settle"
        },
        "so_far": {"default": "bouncing so far"},
        "ended": {"default": "still bouncing"},
    },
    "crawling": {
        "gloss": "still making slow progress",
        "group": "not_settled",
        "settles": False,
        "guess": "It crawls: still on its way when the steps run out.",
        "sentence": {
            "default": "Still crawling after {steps}, now at {at}: the steps are small here. "
            + _PLAY_ON
        },
        "share": {"default": "are still crawling after {steps}: the steps are small there"},
        "so_far": {"default": "still crawling"},
        "ended": {"default": "still crawling"},
    },
    "jittering": {
        "gloss": "kept moving around a minimum by gradient noise, SGLD's temperature or "
        "SAM's climb",
        "group": "not_settled",
        "settles": True,
        "guess": "It jitters around a valley, never quite still.",
        "sentence": {
            "sam": "Jittering around the {kind} minimum at {minimum_at} after {steps}: SAM "
            "takes each gradient a distance ρ uphill, where it is not zero even at the "
            "minimum, so the ball never settles exactly.",
            "without_minimum": "Jittering at {at} after {steps}: the noise keeps the ball "
            "moving. " + _PLAY_ON,
            "default": "Jittering around the {kind} minimum at {minimum_at} after {steps}: "
            "the noise keeps the ball moving, so it never settles exactly.",
        },
        "share": {
            "without_minimum": "keep jittering: the noise keeps them moving",
            "default": "jitter around {name} at {at}: the noise keeps them moving",
        },
        "so_far": {
            "without_minimum": "jittering, kept moving by the noise",
            "default": "jittering around {name}",
        },
        "ended": {
            "without_minimum": "jittering, kept moving by the noise",
            "default": "jittering around {name}",
        },
    },
}

# How the network page (/network) words each outcome of a network's training
# (``app.engine.networks.train.NET_OUTCOMES``): ``gloss`` for the API's reference,
# ``sentence`` for the racer's status line when its run ends, ``so_far`` for the running
# verdict while it trains (the stream's ``verdict``), ``ended`` for a racer's card once its run
# has ended, ``guess`` for the choice a predict-first network lesson offers (as a student would
# guess it). A sentence's variants: ``classification``
# (the data has classes: accuracies to tell), else ``default``; the page fills in {steps},
# {step}, {early_stop_step}, {best_test_loss}, {dead_units}, {train_accuracy} and
# {test_accuracy} from the outcome (``static/js/pages/network.js``).
NET_OUTCOME_WORDS: dict[str, dict[str, Any]] = {
    "converged": {
        "gloss": "the training loss stopped falling",
        "guess": "It settles: the training loss levels off.",
        "sentence": {
            "classification": "Converged after {steps}: the training loss has stopped falling. "
            "Training accuracy {train_accuracy}, test accuracy {test_accuracy}.",
            "default": "Converged after {steps}: the training loss has stopped falling.",
        },
        "so_far": {"default": "converging"},
        "ended": "converged",
    },
    "still_improving": {
        "gloss": "the loss was still falling when the steps ran out",
        "guess": "It keeps improving: still learning when the steps run out.",
        "sentence": {
            "classification": "Still improving after {steps}: the loss is still falling "
            "(training accuracy {train_accuracy}, test accuracy {test_accuracy}). " + _PLAY_ON,
            "default": "Still improving after {steps}: the loss is still falling. " + _PLAY_ON,
        },
        "so_far": {"default": "still improving"},
        "ended": "still improving at the end",
    },
    "diverged": {
        "gloss": "the loss grew without bound or became not-a-number",
        "guess": "It blows up: the loss shoots off to infinity.",
        "sentence": {
            "default": "Diverged at step {step}: the loss blew up. The learning rate is too "
            "large for this network — try a smaller one."
        },
        "so_far": {"default": "diverging"},
        "ended": "diverged",
    },
    "dead_relu": {
        "gloss": "ReLU units output zero for every point, so no gradient reaches them",
        "guess": "Its ReLU units die: they output 0 and stop learning.",
        "sentence": {
            "default": "Dead ReLU units after {steps}: {dead_units} of them output 0 for "
            "every point, so no gradient reaches their weights and they stop learning. Try a "
            "smaller learning rate, He initialisation or another activation."
        },
        "so_far": {"default": "ReLU units are dying"},
        "ended": "ReLU units died",
    },
    "symmetric": {
        "gloss": "the hidden units of a layer stayed identical (symmetry never broken)",
        "guess": "Its hidden units all learn the same thing.",
        "sentence": {
            "default": "After {steps} the hidden units of a layer are still identical: they "
            "started with the same weights, so each gets the same gradient and they learn the "
            "same thing. Random initialisation breaks this symmetry; zeros cannot."
        },
        "so_far": {"default": "the units are staying identical"},
        "ended": "units stayed identical",
    },
    "overfitting": {
        "gloss": "the test loss rose again while the training loss kept falling",
        "guess": "It memorises the training points: the test loss gets worse again.",
        "sentence": {
            "classification": "Overfitting: the test loss was lowest at step {early_stop_step} "
            "({best_test_loss}) and has risen since, while the training loss kept falling. "
            "Early stopping would keep the weights of step {early_stop_step}. Training accuracy "
            "{train_accuracy}, test accuracy {test_accuracy}.",
            "default": "Overfitting: the test loss was lowest at step {early_stop_step} "
            "({best_test_loss}) and has risen since, while the training loss kept falling. "
            "Early stopping would keep the weights of step {early_stop_step}.",
        },
        "so_far": {"default": "overfitting"},
        "ended": "overfitted",
    },
}
