//! Stateless stages: one closure each, called once per event.

use core::marker::PhantomData;

use crate::operator::{Emit, Operator};

macro_rules! stage_struct {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name<F, I, O> {
            f: F,
            _types: PhantomData<fn(I) -> O>,
        }

        impl<F, I, O> $name<F, I, O> {
            /// Wraps the user's closure.
            #[inline]
            pub fn new(f: F) -> Self {
                $name { f, _types: PhantomData }
            }
        }

        impl<F: Clone, I, O> Clone for $name<F, I, O> {
            fn clone(&self) -> Self {
                Self::new(self.f.clone())
            }
        }

        impl<F, I, O> core::fmt::Debug for $name<F, I, O> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

stage_struct!(
    /// `map(|event| new_event)`.
    Map
);
stage_struct!(
    /// `filter(|event: &T| keep)`.
    Filter
);
stage_struct!(
    /// `filter_map(|event| Some(new_event))`.
    FilterMap
);
stage_struct!(
    /// `flat_map(|event| iterable)`: the iterable is walked, never collected.
    FlatMap
);
stage_struct!(
    /// `inspect(|event: &T| ...)`: sees each event, passes it on.
    Inspect
);
stage_struct!(
    /// `for_each(|event| ...)`: the pipeline's terminal; a closure per core.
    ForEach
);

#[diagnostic::do_not_recommend]
impl<F, I, O> Operator for Map<F, I, O>
where
    F: FnMut(I) -> O + Send + 'static,
    I: 'static,
    O: 'static,
{
    type In = I;
    type Out = O;

    #[inline(always)]
    fn on_event<E: Emit<O>>(&mut self, event: I, out: &mut E) {
        out.emit((self.f)(event));
    }
}

#[diagnostic::do_not_recommend]
impl<F, T> Operator for Filter<F, T, T>
where
    F: FnMut(&T) -> bool + Send + 'static,
    T: 'static,
{
    type In = T;
    type Out = T;

    #[inline(always)]
    fn on_event<E: Emit<T>>(&mut self, event: T, out: &mut E) {
        if (self.f)(&event) {
            out.emit(event);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<F, I, O> Operator for FilterMap<F, I, O>
where
    F: FnMut(I) -> Option<O> + Send + 'static,
    I: 'static,
    O: 'static,
{
    type In = I;
    type Out = O;

    #[inline(always)]
    fn on_event<E: Emit<O>>(&mut self, event: I, out: &mut E) {
        if let Some(o) = (self.f)(event) {
            out.emit(o);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<F, I, It> Operator for FlatMap<F, I, It>
where
    F: FnMut(I) -> It + Send + 'static,
    It: IntoIterator + 'static,
    I: 'static,
{
    type In = I;
    type Out = It::Item;

    #[inline(always)]
    fn on_event<E: Emit<It::Item>>(&mut self, event: I, out: &mut E) {
        for o in (self.f)(event) {
            out.emit(o);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<F, T> Operator for Inspect<F, T, T>
where
    F: FnMut(&T) + Send + 'static,
    T: 'static,
{
    type In = T;
    type Out = T;

    #[inline(always)]
    fn on_event<E: Emit<T>>(&mut self, event: T, out: &mut E) {
        (self.f)(&event);
        out.emit(event);
    }
}

#[diagnostic::do_not_recommend]
impl<F, T> Operator for ForEach<F, T, super::bounds::NoOutput>
where
    F: FnMut(T) + Send + 'static,
    T: 'static,
{
    type In = T;
    type Out = super::bounds::NoOutput;

    #[inline(always)]
    fn on_event<E: Emit<super::bounds::NoOutput>>(&mut self, event: T, _out: &mut E) {
        (self.f)(event);
    }
}
