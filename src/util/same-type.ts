/** True when A and B are assignable both ways: a compile-time check that a plain type and a zod schema's agree. */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
