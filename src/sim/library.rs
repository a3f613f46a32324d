//! A library of ready-made scenarios covering every rule with true
//! violations and decoys. Each is 6–20 minutes long and passes
//! [`Scenario::validate`]. Expected truth events (scenario seconds) are
//! listed on each; see the tests in `sim::tests` for the exact checks.

use super::scenario::{Clerk, Scenario, SlouchForm};

const U: Clerk = Clerk::Upright;
const ST: Clerk = Clerk::Standing;
const AWAY: Clerk = Clerk::Away;
const HEAD: Clerk = Clerk::HEAD_ON_DESK;
const PICK: Clerk = Clerk::PickUp;
const fn slouch(trunk_deg: f32, neck_deg: f32) -> Clerk {
    Clerk::Slouch { trunk_deg, neck_deg, form: SlouchForm::Hunch }
}
const fn crossed(right_over_left: bool) -> Clerk {
    Clerk::CrossedLegs { right_over_left }
}

impl Scenario {
    /// The built-in scenarios (see the module docs of [`super::library`]).
    pub fn library() -> Vec<Scenario> {
        vec![
            // No events: every rule gets a short decoy (legs visible, so the
            // 12 s leg crossing is really seen).
            Scenario::new("decoys_only", "a quiet morning full of short, legal lapses")
                .with_legs_visible(true)
                .then(120.0, U)
                .then(8.0, slouch(5.0, 40.0)) // brief neck bend
                .then(90.0, U)
                .then(8.0, PICK) // bend to pick something up
                .then(60.0, U)
                .then(35.0, AWAY) // short errand
                .then(60.0, U)
                .then(30.0, ST) // stretch standing
                .then(30.0, U)
                .then(12.0, crossed(true))
                .then(60.0, U)
                .then(10.0, HEAD)
                .then(77.0, U),
            // slouching [90,210] and [338,428]
            Scenario::new("slouch_trunk", "hunching over the desk twice, with a pick-up decoy")
                .then(90.0, U)
                .then(120.0, slouch(40.0, 10.0))
                .then(60.0, U)
                .then(8.0, PICK)
                .then(60.0, U)
                .then(90.0, slouch(35.0, 15.0))
                .then(52.0, U),
            // slouching [60,150] and [280,355]
            Scenario::new("slouch_neck", "long neck bends (reading/phone) with a brief decoy")
                .then(60.0, U)
                .then(90.0, slouch(8.0, 42.0))
                .then(60.0, U)
                .then(10.0, slouch(5.0, 38.0))
                .then(60.0, U)
                .then(75.0, slouch(30.0, 35.0))
                .then(65.0, U),
            // head_on_desk [120,300] and [462,532]
            Scenario::new("head_on_desk", "napping on the desk twice, plus a 12 s rest")
                .then(120.0, U)
                .then(180.0, HEAD)
                .then(90.0, U)
                .then(12.0, HEAD)
                .then(60.0, U)
                .then(70.0, HEAD)
                .then(68.0, U),
            // crossed_legs [60,180] and [312,402]
            Scenario::new("crossed_legs_visible", "open-front desk: legs crossed twice, plus a 12 s decoy")
                .with_legs_visible(true)
                .then(60.0, U)
                .then(120.0, crossed(true))
                .then(60.0, U)
                .then(12.0, crossed(false))
                .then(60.0, U)
                .then(90.0, crossed(false))
                .then(78.0, U),
            // No events: legs crossed behind a closed desk are not observable;
            // the pose model's guesses look like normal sitting. (With
            // `SimConfig::legs_visible` the events are [60,210] and [270,330].)
            Scenario::new("crossed_legs_hidden", "legs crossed behind a closed desk (unobservable)")
                .then(60.0, U)
                .then(150.0, crossed(true))
                .then(60.0, U)
                .then(60.0, crossed(false))
                .then(30.0, U),
            // absent [120,420]
            Scenario::new("absent_long", "a 5-minute absence and a 30 s errand")
                .then(120.0, U)
                .then(300.0, AWAY)
                .then(150.0, U)
                .then(30.0, AWAY)
                .then(120.0, U),
            // absent [300,560]
            Scenario::new("absent_and_back", "short errands around a 260 s absence")
                .then(60.0, U)
                .then(40.0, AWAY)
                .then(200.0, U)
                .then(260.0, AWAY)
                .then(100.0, U)
                .then(20.0, AWAY)
                .then(220.0, U),
            // No events: clerk rises after 3 s and (late but fine) after 8 s.
            Scenario::new("greet_compliant", "two citizens, the clerk stands up within 8 s each time")
                .then(90.0, U)
                .with_citizen(3.0, U)
                .with_citizen(30.0, ST)
                .with_citizen(150.0, U)
                .then(60.0, U)
                .with_citizen(8.0, U)
                .with_citizen(20.0, ST)
                .with_citizen(90.0, U)
                .then(149.0, U),
            // not_standing_to_greet [90,150]; slouching [499,589] and
            // not_standing_to_greet [499,589]
            Scenario::new("greet_violation", "clerk stays seated for two of three citizens")
                .then(90.0, U)
                .with_citizen(60.0, U)
                .with_citizen(20.0, ST)
                .with_citizen(60.0, U)
                .then(90.0, U)
                .with_citizen(4.0, U)
                .with_citizen(15.0, ST)
                .with_citizen(100.0, U)
                .then(60.0, U)
                .with_citizen(90.0, slouch(40.0, 10.0))
                .then(131.0, U),
            // slouching [120,200], not_standing_to_greet [260,305],
            // crossed_legs [405,505], absent [565,815], head_on_desk [875,965]
            Scenario::new("mixed_day", "20 minutes with one violation of every rule and decoys")
                .with_legs_visible(true)
                .then(120.0, U)
                .then(80.0, slouch(40.0, 15.0))
                .then(60.0, U)
                .with_citizen(45.0, U)
                .with_citizen(10.0, ST)
                .with_citizen(60.0, U)
                .then(30.0, U)
                .then(100.0, crossed(true))
                .then(60.0, U)
                .then(250.0, AWAY)
                .then(60.0, U)
                .then(90.0, HEAD)
                .then(60.0, U)
                .then(8.0, PICK)
                .then(30.0, U)
                .with_citizen(5.0, U)
                .with_citizen(25.0, ST)
                .with_citizen(60.0, U)
                .then(47.0, U),
        ]
    }
}
