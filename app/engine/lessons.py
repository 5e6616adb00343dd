"""The lessons: ready-made scenarios from the course, each a landscape, a start and racers.

A :class:`Lesson` opens Roll Downhill (``page="roll"``: one racer on a 1D surface) or the
landscape explorer (``page="explore"``: one to six racers on a 2D surface) ready at its
start.  Each :class:`Racer` is what a page's racer picks: a *choice* (an optimizer id, or
one of SGD's presets ``gd`` / ``momentum`` / ``nesterov``), hyperparameters by torch's
names, training options, an optional schedule, and the outcome(s) the run ends in after
:attr:`Lesson.steps` steps (one press of Play) — the words of :mod:`.run.outcome`, so a
lesson's promise is checked by the engine that decides it (tests/engine/test_lessons.py).
``contrast`` racers are not opened; they state the comparison the lesson rests on
("gradient descent at the same rate settles in the nearer dip").

:func:`prepare` turns a racer into exactly what a page's run is: the surface bound to the
lesson's parameters, the optimizer, its validated hyperparameters (the preset's first),
the validated options and the bound schedule.

    >>> lesson = LESSONS["momentum_escapes"]
    >>> lesson.page, [r.choice for r in lesson.racers], lesson.racers[0].expected
    ('roll', ['momentum'], ('global_minimum',))
    >>> prepare(lesson, lesson.racers[0]).hyperparameters["momentum"]
    0.9
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..facts import MAX_RACERS, PLAY_STEPS
from .optimizers import OPTIMIZERS, Optimizer
from .run.options import RunOptions, validate_options
from .run.outcome import OUTCOMES
from .run.schedules import BoundSchedule, bind_schedule, check_cycle_momentum
from .surfaces import SURFACES, Surface
from .surfaces.models import ModelSpec, model_surface

Page = Literal["roll", "explore"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class LessonSchedule:
    """A learning-rate schedule by id (``app.engine.run.schedules``) and torch's parameters."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", _frozen(self.parameters))


@dataclass(frozen=True)
class Racer:
    """One ball: what the page's optimizer picker, settings and training controls hold."""

    choice: str  # an optimizer id, or an SGD preset id (gd, momentum, nesterov)
    hyperparameters: Mapping[str, Any] = field(hash=False)  # on top of the choice's own
    expected: tuple[str, ...]  # the outcome(s) the run ends in after Lesson.steps steps
    options: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)
    schedule: LessonSchedule | None = None
    label: str = ""  # for a contrast racer: what it is, in a few words

    def __post_init__(self) -> None:
        object.__setattr__(self, "hyperparameters", _frozen(self.hyperparameters))
        object.__setattr__(self, "options", _frozen(self.options))

    @property
    def optimizer(self) -> Optimizer:
        return resolve(self.choice)[0]

    def given(self) -> dict[str, Any]:
        """The hyperparameters a page sends with the optimizer id: the preset's, then ours."""
        return {**resolve(self.choice)[1], **self.hyperparameters}


@dataclass(frozen=True)
class Lesson:
    id: str
    topic: str  # the gallery's group
    title: str
    look_for: str  # what to look for
    try_this: str  # one thing to try
    teacher_note: str  # why it happens, and what to say
    page: Page
    surface: str | ModelSpec  # a built-in surface's id, or a model on data
    start: tuple[float, ...]
    racers: tuple[Racer, ...]
    surface_parameters: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)
    steps: int = PLAY_STEPS  # how long the expected outcomes take: one press of Play
    predict: bool = False  # opens asking "What will happen?"
    choices: tuple[str, ...] = ()  # predict: the outcomes offered, the right one(s) included
    contrast: tuple[Racer, ...] = ()  # not opened: the comparison the lesson states

    def __post_init__(self) -> None:
        object.__setattr__(self, "surface_parameters", _frozen(self.surface_parameters))

    @property
    def expected(self) -> tuple[tuple[str, ...], ...]:
        """Each racer's outcome(s), in racer order."""
        return tuple(r.expected for r in self.racers)

    def bound_surface(self) -> Surface:
        if isinstance(self.surface, ModelSpec):
            return model_surface(self.surface)
        return SURFACES[self.surface].with_parameters(self.surface_parameters)


@dataclass(frozen=True)
class PreparedRacer:
    """A racer as the runner takes it, every value validated by the catalog."""

    surface: Surface
    optimizer: Optimizer
    hyperparameters: dict[str, Any]
    options: RunOptions
    schedule: BoundSchedule | None
    defaults: dict[str, Any]  # the choice's own values (torch's defaults, then the preset's)


def resolve(choice: str) -> tuple[Optimizer, Mapping[str, Any]]:
    """The optimizer a choice runs and the hyperparameters its preset sets (none for an
    optimizer id).  KeyError for an unknown choice."""
    if choice in OPTIMIZERS:
        return OPTIMIZERS[choice], _EMPTY
    for optimizer in OPTIMIZERS.values():
        for preset in optimizer.presets:
            if preset.id == choice:
                return optimizer, preset.hyperparameters
    raise KeyError(f"unknown optimizer or preset {choice!r}")


def prepare(lesson: Lesson, racer: Racer) -> PreparedRacer:
    """Validate a racer as ``POST /api/runs`` would (HyperparameterError names the field)."""
    optimizer, preset = resolve(racer.choice)
    surface = lesson.bound_surface()
    schedule = None
    if racer.schedule is not None:
        schedule = bind_schedule(racer.schedule.name, racer.schedule.parameters)
        check_cycle_momentum(schedule, [h.name for h in optimizer.hyperparameters])
    return PreparedRacer(
        surface=surface,
        optimizer=optimizer,
        hyperparameters=optimizer.validate(racer.given()),
        options=validate_options(racer.options, surface.data_size),
        schedule=schedule,
        defaults=optimizer.validate(preset),
    )


def check(lesson: Lesson) -> None:
    """ValueError unless the lesson is well formed and every value passes validation."""
    if isinstance(lesson.surface, ModelSpec):
        surface = model_surface(lesson.surface)
    elif lesson.surface in SURFACES:
        surface = SURFACES[lesson.surface]
    else:
        raise ValueError(f"{lesson.id}: unknown surface {lesson.surface!r}")
    dim = 1 if lesson.page == "roll" else 2
    most = 1 if lesson.page == "roll" else MAX_RACERS
    if surface.dim != dim:
        raise ValueError(f"{lesson.id}: the {lesson.page} page needs a {dim}D surface")
    if not 1 <= len(lesson.racers) <= most:
        raise ValueError(f"{lesson.id}: the {lesson.page} page takes 1 to {most} racers")
    if len(lesson.start) != dim or not all(
        lo <= c <= hi for c, (lo, hi) in zip(lesson.start, surface.domain, strict=True)
    ):
        raise ValueError(f"{lesson.id}: start {lesson.start} is not on the domain")
    for text in (lesson.title, lesson.look_for, lesson.try_this, lesson.teacher_note):
        if not text.strip():
            raise ValueError(f"{lesson.id}: every text must be filled in")
    for racer in lesson.racers + lesson.contrast:
        if not racer.expected or not set(racer.expected) <= set(OUTCOMES):
            raise ValueError(f"{lesson.id}: {racer.choice} expects {racer.expected}")
        if "lr" not in racer.hyperparameters:
            raise ValueError(f"{lesson.id}: {racer.choice} must set lr (pages default their own)")
        prepare(lesson, racer)
    if any(not r.label for r in lesson.contrast):
        raise ValueError(f"{lesson.id}: every contrast racer needs a label")
    if lesson.predict:
        outcomes = {o for r in lesson.racers for o in r.expected}
        if len(lesson.choices) < 2 or not outcomes <= set(lesson.choices) <= set(OUTCOMES):
            raise ValueError(f"{lesson.id}: choices must hold every expected outcome and more")
    elif lesson.choices:
        raise ValueError(f"{lesson.id}: choices are for predict-first lessons")


# --- the catalog, in teaching order -------------------------------------------------------

_LESSONS = (
    # --- learning rate ------------------------------------------------------------------
    Lesson(
        id="lr_too_small",
        topic="The learning rate",
        title="Too small a learning rate crawls",
        look_for="At lr = 0.01 the ball inches along the gentle slope: after a whole press of "
        "Play it is still far from the bottom, and the verdict says it is still crawling.",
        try_this="Move the learning rate to 0.5 and press Play again: the same ball reaches "
        "the bottom in under 30 steps.",
        teacher_note="Each step is lr × slope, and on this gentle slope the slope is small, "
        "so a small lr gives tiny steps. (On the wavy Roll Downhill curve itself every dip is "
        "steep, so even the slider's smallest rate settles within 200 steps; the Plateau and "
        "wall landscape shows the crawl for a whole press of Play.)",
        page="roll",
        surface="plateau_wall",
        start=(2.5,),
        racers=(Racer("gd", {"lr": 0.01}, ("crawling",)),),
        contrast=(Racer("gd", {"lr": 0.5}, ("global_minimum",), label="lr = 0.5"),),
    ),
    Lesson(
        id="lr_just_right",
        topic="The learning rate",
        title="A learning rate that fits settles smoothly",
        look_for="At lr = 0.1 the ball rolls into the nearest valley and comes to rest at its "
        "bottom in about 20 steps.",
        try_this="Try 0.05, then 0.15. Which one still settles, and why not the other?",
        teacher_note="Near a minimum the loss is close to a parabola with curvature L; gradient "
        "descent settles when lr < 2/L. Here L ≈ 13 at the valley floor, so at 0.1 "
        "(lr·L ≈ 1.3) each overshoot is a third of the one before, while 0.15 is just past "
        "2/L ≈ 0.149 and bounces. Note it is a local minimum: the rate decides how "
        "the ball moves, the start decides which valley it is in.",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(Racer("gd", {"lr": 0.1}, ("local_minimum",)),),
    ),
    Lesson(
        id="lr_too_large",
        topic="The learning rate",
        title="Too large a learning rate bounces between valleys",
        look_for="At lr = 1.0 every step overshoots: the ball leaps from valley to valley and "
        "never settles, yet it never flies off the curve either.",
        try_this="Lower the rate step by step. At which rate does the ball first settle?",
        teacher_note="On this landscape no rate on the slider (0.01–1.20) blows up: the gentle "
        "0.12·x² bowl catches every overshoot, so too large a rate shows as bouncing, not "
        "divergence. For true divergence open the parabola lesson (lr > 1) or the ravine "
        "lesson (lr > 2/κ).",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(Racer("gd", {"lr": 1.0}, ("bouncing",)),),
        predict=True,
        choices=("global_minimum", "local_minimum", "bouncing", "diverged"),
        contrast=(Racer("gd", {"lr": 0.1}, ("local_minimum",), label="lr = 0.1"),),
    ),
    Lesson(
        id="true_divergence",
        topic="The learning rate",
        title="Divergence: each step lands farther out",
        look_for="On the parabola f = x² the ball jumps from side to side, and every jump is "
        "10% longer than the last, until it leaves the picture.",
        try_this="Set lr to 0.9: it still jumps from side to side, but the jumps shrink and it "
        "settles. The border is exactly lr = 1.",
        teacher_note="A step takes x to x − lr·2x = (1 − 2·lr)·x. For lr < 1 the factor's size "
        "is below 1 and the ball converges (zigzagging when lr > 0.5); for lr > 1 it is above "
        "1 and the distance grows geometrically: at lr = 1.05 by 1.1× per step.",
        page="roll",
        surface="parabola",
        start=(2.5,),
        racers=(Racer("gd", {"lr": 1.05}, ("diverged",)),),
        predict=True,
        choices=("global_minimum", "bouncing", "diverged"),
        contrast=(Racer("gd", {"lr": 0.9}, ("global_minimum",), label="lr = 0.9"),),
    ),
    Lesson(
        id="ravine_divergence",
        topic="The learning rate",
        title="The steepest direction sets the limit: 2/κ",
        look_for="Two gradient descents in a ravine 20 times steeper across than along. At "
        "lr = 0.09 the ball zigzags across the valley but settles; at lr = 0.11 the zigzag "
        "grows until it is thrown out.",
        try_this="Raise κ to 100: now even 0.09 diverges. What is the largest rate that works?",
        teacher_note="Across the valley the curvature is κ, so gradient descent needs "
        "lr < 2/κ = 0.1 there; along the floor the curvature is 1 and any of these rates "
        "would be fine. The steepest direction limits the rate, the flattest decides the "
        "speed: that mismatch is what the condition number κ measures.",
        page="explore",
        surface="ravine",
        start=(-2.5, 1.0),
        racers=(
            Racer("gd", {"lr": 0.09}, ("global_minimum",)),
            Racer("gd", {"lr": 0.11}, ("diverged",)),
        ),
    ),
    # --- where you start ----------------------------------------------------------------
    Lesson(
        id="start_decides",
        topic="Where you start",
        title="The start decides the valley",
        look_for="Started at x = 1.8, the ball rolls into the right-hand valley and stays, "
        "though the left-hand one is deeper.",
        try_this="Click the curve left of the hump in the middle and run again: now it ends in "
        "the deeper valley.",
        teacher_note="Gradient descent only ever goes downhill from where it is, so each "
        "valley collects the starts on its side of the hump (its basin of attraction). "
        "Nothing in the rule looks for the deepest valley.",
        page="roll",
        surface="double_well",
        start=(1.8,),
        racers=(Racer("gd", {"lr": 0.05}, ("local_minimum",)),),
        predict=True,
        choices=("global_minimum", "local_minimum", "bouncing"),
    ),
    # --- momentum -----------------------------------------------------------------------
    Lesson(
        id="momentum_escapes",
        topic="Momentum",
        title="Momentum rolls through a dip that stops gradient descent",
        look_for="With momentum the ball runs through the small valley near x = 1.9, over the "
        "hump beyond it, and settles in the deepest valley.",
        try_this="Switch the optimizer to Gradient descent at the same rate: it stops in the "
        "first valley it meets.",
        teacher_note="Heavy-ball momentum keeps 90% of its velocity each step, so speed built "
        "up on the long slope carries it over a hump that plain gradient descent, which "
        "stops where the slope does, cannot cross. It is not a guarantee: from other starts "
        "momentum overshoots the best valley too.",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(Racer("momentum", {"lr": 0.1}, ("global_minimum",)),),
        predict=True,
        choices=("global_minimum", "local_minimum", "bouncing"),
        contrast=(
            Racer("gd", {"lr": 0.1}, ("local_minimum",), label="gradient descent, same rate"),
        ),
    ),
    Lesson(
        id="momentum_ravine",
        topic="Momentum",
        title="Momentum smooths the zigzag in a ravine",
        look_for="Gradient descent zigzags across the ravine at every step and creeps along "
        "its floor; momentum sweeps in smooth curves and reaches the bottom first.",
        try_this="Give momentum the same rate as gradient descent (0.019) and watch the "
        "swings across the ravine come back.",
        teacher_note="Across the valley the gradient flips sign every step, and momentum's "
        "velocity averages those flips away; along the floor it points the same way every "
        "step and the velocity adds it up, to about lr/(1 − 0.9) = 10·lr. So momentum moves "
        "along the floor like a rate of 0.05, which gradient descent cannot use: here it "
        "diverges past 2/κ = 0.02.",
        page="explore",
        surface="ravine",
        surface_parameters={"kappa": 100},
        start=(-2.5, 1.0),
        racers=(
            Racer("gd", {"lr": 0.019}, ("global_minimum",)),
            Racer("momentum", {"lr": 0.005}, ("global_minimum",)),
        ),
    ),
    # --- adaptive methods ---------------------------------------------------------------
    Lesson(
        id="adagrad_halts",
        topic="Adaptive methods",
        title="AdaGrad slows to a halt; RMSprop and Adam keep going",
        look_for="All three start with similar steps. AdaGrad's steps keep shrinking and it "
        "stops short of the minimum; RMSprop and Adam reach it.",
        try_this="Give AdaGrad a 5× larger rate. Does it get there now, and how do its last "
        "steps compare with its first?",
        teacher_note="AdaGrad divides by the square root of the sum of every squared gradient "
        "so far, and a sum only grows: its effective rate falls like 1/√t even on a straight "
        "slope. RMSprop and Adam divide by a moving average instead, which forgets old "
        "gradients, so their steps stay about lr long until the slope changes.",
        page="explore",
        surface="booth",
        start=(-8.0, 7.0),
        racers=(
            Racer("adagrad", {"lr": 0.2}, ("crawling",)),
            Racer("rmsprop", {"lr": 0.2}, ("global_minimum",)),
            Racer("adam", {"lr": 0.2}, ("global_minimum",)),
        ),
    ),
    # --- flat places ----------------------------------------------------------------------
    Lesson(
        id="saddle_point",
        topic="Flat places",
        title="A saddle point: flat, but not a minimum",
        look_for="Gradient descent heads for the flat centre, slows down there, then slides "
        "off downhill along y and runs away. Newton's method jumps straight onto the centre "
        "and stays.",
        try_this="Type the start (1.8, 0): started exactly on the ridge line, gradient "
        "descent stops on the saddle too.",
        teacher_note="At a saddle the gradient is zero, but the surface curves up in one "
        "direction and down in the other. Gradient descent only stays if nothing pushes it "
        "sideways; the tiny 0.01 offset in y grows by 1.2× per step. Newton's method solves "
        "for where the gradient is zero, and a saddle qualifies: in many dimensions saddles "
        "far outnumber minima, which is why pure Newton is not used to train networks.",
        page="explore",
        surface="saddle",
        start=(1.8, 0.01),
        racers=(
            Racer("gd", {"lr": 0.1}, ("ran_away",)),
            Racer("newton", {"lr": 1.0}, ("saddle",)),
        ),
        predict=True,
        choices=("global_minimum", "saddle", "ran_away"),
    ),
    Lesson(
        id="plateau",
        topic="Flat places",
        title="A plateau: no slope to follow",
        look_for="Far out on the tableland gradient descent and momentum do not move at all; "
        "Adam walks straight across to the well in the middle.",
        try_this="Start at (3, 2.5), nearer the well, where there is a slope: gradient descent "
        "gets there now.",
        teacher_note="Out here the gradient is about 1e-8, so lr × gradient is far below "
        "anything visible, and momentum has nothing to build on. Adam divides the gradient "
        "by its own running size, so its steps are a good part of lr however flat the "
        "ground: it sees the direction, not the steepness (here a little shorter at first, "
        "since the gradient, 7e-9, is close to the eps = 1e-8 Adam adds to the divisor).",
        page="explore",
        surface="plateau",
        start=(4.5, 4.5),
        racers=(
            Racer("gd", {"lr": 1.6}, ("plateau",)),
            Racer("momentum", {"lr": 1.6}, ("plateau",)),
            Racer("adam", {"lr": 0.1}, ("global_minimum",)),
        ),
    ),
    # --- noise --------------------------------------------------------------------------
    Lesson(
        id="minibatch_noise",
        topic="Noise",
        title="Mini-batch noise shakes the ball out of a shallow dip",
        look_for="Without noise the ball would settle in the shallow dip at x ≈ 4.4. With "
        "mini-batch noise it jiggles, hops out, and ends up jittering in a deeper valley.",
        try_this="Raise the batch size to 16: the noise shrinks 4× and the ball stays in the "
        "shallow dip.",
        teacher_note="A mini-batch gradient is the true gradient plus noise of size σ/√batch. "
        "The noise is downhill on average, but its kicks can lift the ball over a low rim; "
        "a deep valley's rim is too high to kick it out again. It never settles exactly: it "
        "jitters around the minimum, which is why training ends with a smaller rate.",
        page="roll",
        surface="roll_downhill",
        start=(4.9,),
        racers=(Racer("gd", {"lr": 0.05}, ("jittering",), options={"noise": 4.0}),),
        contrast=(Racer("gd", {"lr": 0.05}, ("local_minimum",), label="no noise"),),
    ),
    Lesson(
        id="sgld_basins",
        topic="Noise",
        title="Langevin dynamics visits several valleys",
        look_for="SGLD adds noise on purpose, scaled by a temperature. At temperature 1 the "
        "ball wanders from valley to valley, and spends most of its time in the deepest.",
        try_this="Set the temperature to 0.01: the ball stays in the first valley it finds.",
        teacher_note="SGLD is gradient descent plus Gaussian noise of size √(2·lr·T). Run long "
        "enough, it visits each place in proportion to e^(−f/T): a sampler, not an "
        "optimizer, used to explore a loss landscape (or a posterior) rather than to sit "
        "at its lowest point.",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(Racer("sgld", {"lr": 0.02, "temperature": 1.0}, ("jittering",)),),
        contrast=(
            Racer(
                "sgld",
                {"lr": 0.02, "temperature": 0.01},
                ("jittering",),
                label="temperature 0.01",
            ),
        ),
    ),
    Lesson(
        id="lbfgs_vs_adam",
        topic="Noise",
        title="L-BFGS against Adam, with and without noise",
        look_for="On exact gradients L-BFGS reaches the end of Rosenbrock's valley in three "
        "steps while Adam is still on its way. Add gradient noise and it flips: L-BFGS is "
        "thrown off, Adam jitters near the minimum.",
        try_this="Lower the noise on the two noisy racers to 0.05. Does L-BFGS survive?",
        teacher_note="L-BFGS builds a curvature model from differences of gradients and "
        "trusts its line search; noisy gradients make both wrong, and one bad step can "
        "throw it far. Adam only averages gradients, so noise just makes it jitter. That "
        "is why deep learning, whose gradients come from mini-batches, uses Adam-like "
        "methods, and L-BFGS is kept for small, exact (full-batch) problems.",
        page="explore",
        surface="rosenbrock",
        start=(-1.5, 2.5),
        racers=(
            Racer("lbfgs", {"lr": 1.0, "line_search_fn": "strong_wolfe"}, ("global_minimum",)),
            Racer("adam", {"lr": 0.04}, ("crawling",)),
            Racer(
                "lbfgs",
                {"lr": 1.0, "line_search_fn": "strong_wolfe"},
                ("diverged",),
                options={"noise": 0.5},
            ),
            Racer("adam", {"lr": 0.04}, ("jittering",), options={"noise": 0.5}),
        ),
    ),
    # --- schedules and regularization ------------------------------------------------------
    Lesson(
        id="schedule_explore_then_settle",
        topic="Schedules and regularization",
        title="A schedule: explore first, fine-tune later",
        look_for="The rate starts at 1.0 and the ball bounces between valleys; as cosine "
        "annealing lowers the rate the bounces shrink, and it settles in the deepest valley.",
        try_this="Set the schedule back to Constant: at 1.0 it bounces for ever, and at 0.1 "
        "it settles in the first dip it meets.",
        teacher_note="A large rate explores (it cannot stay in narrow dips), a small one "
        "settles; a schedule gives both, in that order. The rate in effect is shown each "
        "step: with T_max = 300 it falls from 1.0 toward 0 along half a cosine, and the ball "
        "settles once it is small enough for the deepest valley.",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(
            Racer(
                "gd",
                {"lr": 1.0},
                ("global_minimum",),
                schedule=LessonSchedule("cosine", {"T_max": 300}),
            ),
        ),
        contrast=(
            Racer("gd", {"lr": 1.0}, ("bouncing",), label="constant lr = 1.0"),
            Racer("gd", {"lr": 0.1}, ("local_minimum",), label="constant lr = 0.1"),
        ),
    ),
    Lesson(
        id="weight_decay_moves_minimum",
        topic="Schedules and regularization",
        title="Weight decay moves the minimum toward 0",
        look_for="With weight decay 1 the ball stops short of the bottom of the left valley, "
        "nearer x = 0. Tick the box that draws the landscape it actually descends.",
        try_this="Set weight decay to 0 and the ball settles at the valley's true bottom; try 2 "
        "and it stops even nearer 0.",
        teacher_note="Weight decay λ adds λ·x to every gradient, which is descending "
        "f(x) + (λ/2)·x²: the penalty tilts each valley toward 0, so its bottom moves. The "
        "page says the ball stopped short of a minimum: of f, yes; it is at the minimum of "
        "the penalized loss, which is the point of regularization.",
        page="roll",
        surface="double_well",
        start=(-1.8,),
        racers=(Racer("gd", {"lr": 0.05, "weight_decay": 1.0}, ("stalled",)),),
        contrast=(
            Racer("gd", {"lr": 0.05, "weight_decay": 0.0}, ("global_minimum",), label="no decay"),
        ),
    ),
    Lesson(
        id="float16_loss_scaling",
        topic="Schedules and regularization",
        title="float16 underflow, fixed by loss scaling",
        look_for="Computed in float16, the tiny gradient out on the plateau rounds to zero: "
        "Adam sees flat ground and does not move.",
        try_this="Set the loss scale to 1024: the gradient fits in float16 again and Adam "
        "walks down to the minimum.",
        teacher_note="float16 cannot hold magnitudes below about 6e-8, and the gradient at "
        "x = 10 is about 1e-8. Mixed-precision training multiplies the loss by a scale S "
        "before the backward pass and divides the gradient by S after, so small gradients "
        "survive the rounding (torch's GradScaler). Adam needs only the gradient's sign and "
        "rough size, so once it is not zero it moves.",
        page="roll",
        surface="plateau_wall",
        start=(10.0,),
        racers=(Racer("adam", {"lr": 0.1}, ("float16_stuck",), options={"precision": "float16"}),),
        predict=True,
        choices=("float16_stuck", "plateau", "global_minimum"),
        contrast=(
            Racer(
                "adam",
                {"lr": 0.1},
                ("global_minimum",),
                options={"precision": "float16", "loss_scale": 1024},
                label="loss scale 1024",
            ),
        ),
    ),
    # --- learning from data -----------------------------------------------------------------
    Lesson(
        id="outlier_pulls_mse",
        topic="Learning from data",
        title="One outlier drags the squared error's best line",
        look_for="The ball settles at the lowest point of the loss, and the data panel's line "
        "settles there with it: tilted away from the fifteen points on a line, towards the "
        "single outlier below them.",
        try_this="Switch the loss to mean absolute error: the lowest point moves, and the line "
        "goes back through the fifteen points, ignoring the outlier. Then drag the outlier.",
        teacher_note="Squared error grows with the square of a miss, so the one point 3 units "
        "off outweighs many small misses and the least-squares line (from the normal "
        "equations) bends towards it: slope 0.75 instead of about 1.2. Absolute error grows "
        "only linearly, so its best line passes through the bulk of the points (slope 1.16): "
        "it is robust to outliers. Its landscape is made of flat facets meeting at kinks, "
        "which is why gradient descent needs a shrinking learning rate to settle on it.",
        page="explore",
        surface=ModelSpec("linear", "mse", "outlier"),
        start=(-3.0, 3.0),
        racers=(Racer("gd", {"lr": 0.1}, ("global_minimum",)),),
    ),
    Lesson(
        id="separable_runs_away",
        topic="Learning from data",
        title="Classes that separate: cross-entropy has no bottom",
        look_for="The weight w keeps growing and the loss keeps falling towards 0; the "
        "sigmoid on the data panel gets steeper and steeper, but never stops.",
        try_this="Switch the data to the two classes that overlap: now the loss has a lowest "
        "point and the ball stops there.",
        teacher_note="When a threshold splits the classes perfectly, a steeper sigmoid always "
        "fits them better, so the cross-entropy falls for ever as |w| grows: there is no "
        "minimum and the weights run away. Real training stops this with L2 regularization "
        "(weight decay) or early stopping; the overlapping classes have a minimum because "
        "some points are always on the wrong side.",
        page="roll",
        surface=ModelSpec("logistic", "bce", "separable", dim=1),
        start=(-5.0,),
        racers=(Racer("gd", {"lr": 1.0}, ("ran_away",)),),
        predict=True,
        choices=("global_minimum", "ran_away", "bouncing"),
    ),
    Lesson(
        id="network_mirror_minima",
        topic="Learning from data",
        title="A tiny network: two mirror-image minima and a saddle between",
        look_for="Starting next to the origin, the ball hardly moves at first: the origin is "
        "a saddle, where the slope is zero. Then it rolls off into one of two minima that "
        "are mirror images of each other.",
        try_this="Start at (−0.01, 0.01): the ball falls into the other minimum, with both "
        "weights' signs flipped. Start at exactly (0, 0): it never moves at all.",
        teacher_note="y = w₂·tanh(w₁·x) gives the same curve for (w₁, w₂) and (−w₁, −w₂), so "
        "every minimum has a twin: a network's landscape is never convex. At the origin the "
        "network outputs 0 and the gradient is exactly zero, but the loss falls in two "
        "directions and rises in two: a saddle. Which twin the ball finds depends only on "
        "which side of the saddle it starts; both fit the data equally well.",
        page="explore",
        surface=ModelSpec("tanh_net", "mse", "tanh_curve"),
        start=(0.01, 0.01),
        racers=(Racer("momentum", {"lr": 0.1}, ("global_minimum",)),),
        contrast=(
            Racer(
                "gd",
                {"lr": 0.1},
                ("crawling",),
                label="gradient descent at the same rate: still crawling along the valley",
            ),
        ),
    ),
    Lesson(
        id="real_minibatches",
        topic="Learning from data",
        title="Mini-batches of one: real noise, from the data",
        look_for="Full-batch gradient descent walks straight to the least-squares minimum and "
        "stops. With one point per batch, each step follows a single point's slope: the "
        "ball zigzags, and keeps jittering around the minimum instead of settling.",
        try_this="Raise the batch size to 5, then 10: the zigzag calms down. Watch the epoch "
        "and batch counters, and which points the data panel lights up each step.",
        teacher_note="A mini-batch's gradient is an estimate of the full gradient: right on "
        "average, off by a random amount that shrinks as the batch grows. Near the minimum "
        "the full gradient vanishes but the single points' gradients do not, so SGD at a "
        "fixed learning rate hovers in a cloud whose size grows with the rate and shrinks "
        "with the batch. An epoch is one pass over all the points, in a fresh random order.",
        page="explore",
        surface=ModelSpec("linear", "mse", "noisy_line"),
        start=(-3.0, 3.0),
        racers=(
            Racer("gd", {"lr": 0.1}, ("global_minimum",)),
            Racer("gd", {"lr": 0.1}, ("jittering",), options={"batch_size": 1}),
        ),
    ),
    # --- climbing -------------------------------------------------------------------------
    Lesson(
        id="gradient_ascent",
        topic="Climbing",
        title="Gradient ascent climbs to a hilltop",
        look_for="With Maximize on, the ball goes uphill and stops on top of the nearest hill.",
        try_this="Switch to the Parabola landscape: with no top to reach, ascent runs away.",
        teacher_note="Ascent is descent on −f: x ← x + lr·f′(x). It stops where the slope is "
        "zero with the surface curving down, a maximum. Models are trained by descent on a "
        "loss; ascent appears when something is maximized, such as a reward, or in "
        "adversarial examples.",
        page="roll",
        surface="roll_downhill",
        start=(3.5,),
        racers=(Racer("gd", {"lr": 0.05, "maximize": True}, ("maximum",)),),
        predict=True,
        choices=("maximum", "ran_away", "local_minimum"),
    ),
)

LESSONS: dict[str, Lesson] = {lesson.id: lesson for lesson in _LESSONS}
if len(LESSONS) != len(_LESSONS):
    raise ValueError("lesson ids must be unique")
for _lesson in _LESSONS:
    check(_lesson)
