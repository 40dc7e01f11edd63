use super::*;
use crate::session::{LossPoint, Session};

fn reading(accuracy: Option<f32>, losses: &[(f32, f32)]) -> Reading {
    Reading {
        epoch: losses.len(),
        accuracy,
        losses: losses.to_vec(),
        confusion: None,
        classes: Vec::new(),
    }
}

#[test]
fn every_shipped_lesson_reads_and_every_step_project_opens() {
    assert_eq!(BUILTIN.len(), 6);
    for (id, text) in BUILTIN {
        let lesson = read(text.as_bytes()).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(lesson.steps.len() >= 2, "{id}");
        assert!(
            lesson.steps[0].project.is_some(),
            "{id}: the first step sets up a project"
        );
        for step in &lesson.steps {
            step.project().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
        assert_eq!(builtin(id).as_ref(), Some(&lesson));
    }
    // The first lesson's first step is the playground with no hidden layer.
    let first = builtin("one-neuron").and_then(|l| l.steps[0].project().ok().flatten());
    let first = first.expect("a project");
    assert!(!first.data.is_images());
    assert!(first.cards().is_empty());
}

#[test]
fn a_lesson_travels_in_a_link_whole() {
    let lesson = builtin("overfitting").expect("shipped");
    let link = to_link(&lesson);
    assert!(link.starts_with("j."));
    assert!(
        link.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    );
    assert_eq!(from_link(&link), Ok(lesson));
    assert_eq!(from_link("together").map(|l| l.steps.len()), Ok(2));
    assert_eq!(from_link("nope"), Err(LessonError::Unknown("nope".into())));
    assert_eq!(from_link("j.!!!"), Err(LessonError::Garbled));
    // Cut short: still base64, no longer JSON.
    let cut = &link[..link.len() / 2];
    assert!(matches!(
        from_link(cut),
        Err(LessonError::Garbled | LessonError::Unreadable(_))
    ));
}

#[test]
fn a_bad_lesson_file_says_what_is_wrong() {
    let error = |text: &str| read(text.as_bytes()).expect_err(text).to_string();
    assert!(error("not json").contains("not a lesson file"));
    assert!(error(r#"{"title":"x","steps":[]}"#).contains("\"agora_lesson\""));
    assert!(error(r#"{"agora_lesson":7,"title":"x","steps":[]}"#).contains("newer Agora"));
    assert!(error(r#"{"agora_lesson":1,"title":"x","steps":[]}"#).contains("1 to 40 steps"));
    let step = |extra: &str| {
        format!(r#"{{"agora_lesson":1,"title":"T","steps":[{{"title":"S","text":"t"{extra}}}]}}"#)
    };
    assert!(read(step("").as_bytes()).is_ok());
    assert!(error(&step(r#","colour":"red""#)).contains("unknown field `colour`"));
    assert!(error(&step(r#","project":"data=spiral&wings=2""#)).contains("cannot read: wings"));
    assert!(error(&step(r#","lock":["everything"]"#)).contains("unknown variant `everything`"));
    assert!(error(&step(r#","goal":{"kind":"accuracy","at_least":90}"#)).contains("at most 1"));
    assert!(
        error(&step(
            r#","goal":{"kind":"choice","question":"Q","choices":["a","b"],"answer":2}"#
        ))
        .contains("only 2")
    );
    assert!(error(&step(r#","goal":{"kind":"fly"}"#)).contains("unknown variant `fly`"));
    let huge = vec![b' '; MAX_LESSON_BYTES + 1];
    assert!(
        read(&huge)
            .expect_err("too large")
            .to_string()
            .contains("at most 256 KB")
    );
    let long_title = step("").replace(
        r#""title":"S""#,
        &format!(r#""title":"{}""#, "S".repeat(500)),
    );
    assert!(error(&long_title).contains("step 1"));
}

#[test]
fn goals_are_met_by_what_the_run_shows() {
    let accuracy = Goal::Accuracy { at_least: 0.9 };
    assert!(!accuracy.check(&reading(None, &[]), None).met);
    assert!(
        !accuracy
            .check(&reading(Some(0.89), &[(1.0, 1.0)]), None)
            .met
    );
    let met = accuracy.check(&reading(Some(0.91), &[(1.0, 1.0)]), None);
    assert!(met.met && met.now.contains("91.0 %"), "{met:?}");

    let overfit = Goal::Overfit { rise: 0.2 };
    // Both losses falling: not overfitting.
    assert!(
        !overfit
            .check(&reading(None, &[(1.0, 1.0), (0.8, 0.9), (0.6, 0.8)]), None)
            .met
    );
    // The test loss rose 25 % above its lowest while training kept falling.
    let curve = [(1.0, 1.0), (0.6, 0.8), (0.4, 0.9), (0.2, 1.0)];
    assert!(overfit.check(&reading(None, &curve), None).met);
    // Risen as much, but the training loss rose too: a diverging run, not overfitting.
    assert!(
        !overfit
            .check(&reading(None, &[(1.0, 1.0), (0.6, 0.8), (0.9, 1.0)]), None)
            .met
    );
    // NaN points are skipped rather than counted.
    assert!(
        !overfit
            .check(&reading(None, &[(f32::NAN, f32::NAN)]), None)
            .met
    );

    let choice = Goal::Choice {
        question: "Q".into(),
        choices: vec!["a".into(), "b".into()],
        answer: 1,
    };
    assert!(!choice.check(&Reading::default(), None).met);
    assert!(!choice.check(&Reading::default(), Some(0)).met);
    assert!(choice.check(&Reading::default(), Some(1)).met);

    let epochs = Goal::Epochs { at_least: 3 };
    assert!(!epochs.check(&reading(None, &[(1.0, 1.0); 2]), None).met);
    assert!(epochs.check(&reading(None, &[(1.0, 1.0); 3]), None).met);

    let loss = Goal::TestLoss { below: 0.5 };
    assert!(loss.check(&reading(None, &[(1.0, 0.4)]), None).met);
    assert!(!loss.check(&reading(None, &[(1.0, 0.6)]), None).met);
}

#[test]
fn the_most_confused_class_comes_from_the_confusion() {
    let goal = Goal::MostConfused;
    let mut seen = Reading {
        classes: vec!["zero".into(), "one".into(), "two".into()],
        ..Reading::default()
    };
    assert!(!goal.check(&seen, Some(0)).met, "no evaluation yet");
    // Class 2 is wrong 5 times, class 0 once.
    seen.confusion = Some(vec![vec![9, 1, 0], vec![0, 10, 0], vec![3, 2, 5]]);
    assert_eq!(seen.most_confused(), Some((vec![2], 5)));
    assert!(!goal.check(&seen, None).met);
    let wrong = goal.check(&seen, Some(0));
    assert!(!wrong.met && wrong.now.contains("zero"), "{wrong:?}");
    let right = goal.check(&seen, Some(2));
    assert!(
        right.met && right.now.contains("two is wrong 5 times"),
        "{right:?}"
    );
}

#[test]
fn a_reading_of_the_image_classifier_counts_its_evaluation() {
    let mut session = Session::default();
    session.history.push(LossPoint {
        epoch: 1,
        train_loss: 0.5,
        test_loss: 0.4,
    });
    session.evaluation = Some(std::rc::Rc::new(crate::reports::EvaluationReport {
        classes: 2,
        labels: vec![0, 0, 1, 1],
        // Three right, one 1 taken for a 0.
        logits: vec![2.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 3.0],
        points: Vec::new(),
        size: agora_engine::net::ImageSize {
            channels: 1,
            height: 28,
            width: 28,
        },
        shown: 0,
        images: Vec::new(),
        epoch: 1,
    }));
    let names = vec!["a".to_owned(), "b".to_owned()];
    let seen = Reading::of(&session, &names);
    assert_eq!(seen.confusion, Some(vec![vec![2, 0], vec![1, 1]]));
    assert_eq!(seen.most_confused(), Some((vec![1], 1)));
    assert_eq!(seen.losses, vec![(0.5, 0.4)]);
}

#[test]
fn moving_through_a_lesson() {
    let mut state = LessonState::new(builtin("one-neuron").expect("shipped"));
    assert_eq!((state.step, state.entered), (0, 0));
    state = state.apply(LessonAction::Previous);
    assert_eq!(
        (state.step, state.entered),
        (0, 0),
        "nothing before the first step"
    );
    // The goal (95 %) is met by a reading, stays met when the accuracy dips, is acknowledged.
    state = state.apply(LessonAction::Acknowledge);
    assert!(
        !state.acknowledged[0],
        "nothing to acknowledge before the goal is met"
    );
    state = state.apply(LessonAction::Read(reading(Some(0.97), &[(0.2, 0.2)])));
    assert!(state.met[0]);
    state = state.apply(LessonAction::Read(reading(Some(0.5), &[(0.2, 0.2)])));
    assert!(state.met[0], "a goal reached once stays reached");
    state = state.apply(LessonAction::Acknowledge);
    assert!(state.acknowledged[0]);
    state = state.apply(LessonAction::Next);
    assert_eq!((state.step, state.entered), (1, 1));
    // A question: a wrong answer does not meet it, the right one does; out-of-range is ignored.
    state = state.apply(LessonAction::Answer(9));
    assert_eq!(state.answer(), None);
    state = state.apply(LessonAction::Answer(0));
    state = state.apply(LessonAction::Read(Reading::default()));
    assert!(!state.met[1]);
    state = state.apply(LessonAction::Answer(1));
    state = state.apply(LessonAction::Read(Reading::default()));
    assert!(state.met[1]);
    assert!(!state.finished());
    state = state.apply(LessonAction::Go(99));
    assert_eq!(state.step, 2, "past the end is the last step");
    state = state.apply(LessonAction::Restart);
    assert_eq!(state.entered, 3);
    state = state.apply(LessonAction::Read(reading(Some(0.95), &[(0.2, 0.2)])));
    assert!(state.finished());
    state = state.apply(LessonAction::Present(true));
    assert!(state.presenting);
}

#[test]
fn a_step_hides_and_locks_parts() {
    let lesson = builtin("one-neuron").expect("shipped");
    let step = &lesson.steps[0];
    assert!(!step.hides(Part::Train));
    assert!(step.hides(Part::Recipe));
    assert!(step.locks(Part::Network));
    assert!(!step.locks(Part::Train));
    let free = &builtin("own-images").expect("shipped").steps[0];
    assert!(
        Part::ALL
            .iter()
            .all(|&part| !free.hides(part) && !free.locks(part))
    );
}

#[test]
fn a_bad_file_keeps_the_open_lesson() {
    let mut lessons =
        Lessons::default().apply(LessonsAction::Open(builtin("together").expect("shipped")));
    lessons = lessons.apply(LessonsAction::Step(LessonAction::Next));
    lessons = lessons.apply(LessonsAction::Failed("broken".into()));
    assert_eq!(lessons.error.as_deref(), Some("broken"));
    let open = lessons.open.as_ref().expect("still open");
    assert_eq!(open.step, 1);
    lessons = lessons.apply(LessonsAction::Open(builtin("together").expect("shipped")));
    assert_eq!(
        (
            lessons.opened,
            lessons.open.as_ref().map(|s| s.step),
            lessons.error.clone()
        ),
        (2, Some(0), None)
    );
    lessons = lessons.apply(LessonsAction::Close);
    assert!(lessons.open.is_none());
}

#[test]
fn a_reloaded_tab_resumes_its_lesson_without_resetting_the_project() {
    let lesson = builtin("one-neuron").expect("shipped");
    let before = LessonState::new(lesson.clone())
        .apply(LessonAction::Read(reading(Some(0.99), &[(0.1, 0.1)])))
        .apply(LessonAction::Acknowledge)
        .apply(LessonAction::Next)
        .apply(LessonAction::Answer(1));
    let lessons = Lessons::default().apply(LessonsAction::Resume {
        lesson: lesson.clone(),
        progress: before.progress(),
    });
    let state = lessons.open.as_ref().expect("open");
    assert_eq!((state.step, state.keep_project), (1, true));
    assert_eq!(state.met, vec![true, false, false]);
    assert!(state.acknowledged[0]);
    assert_eq!(state.answer(), Some(1));
    let state = state.clone().apply(LessonAction::Next);
    assert_eq!(
        (state.step, state.keep_project),
        (2, false),
        "moving on sets the next step up"
    );
    // Kept progress of another shape is not used; the step is held to the lesson.
    let odd = Progress {
        step: 99,
        met: vec![true],
        ..Progress::default()
    };
    let past_end = Lessons::default().apply(LessonsAction::Resume {
        lesson,
        progress: odd,
    });
    let state = past_end.open.expect("open");
    assert_eq!((state.step, state.met), (2, vec![false, false, false]));
}
