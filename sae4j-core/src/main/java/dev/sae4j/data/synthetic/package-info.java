/**
 * Synthetic reasoning tasks with known internal variables, for training the ground-truth model
 * organism and validating SAE features against per-character labels.
 *
 * <p>Every task writes texts of the shape {@code prompt + chain of thought + ";" + answer + "\n"},
 * where the prompt ends with {@code '='}, uses only the characters of {@link
 * dev.sae4j.data.synthetic.SyntheticTasks#ALPHABET} and carries labels per character (one character
 * = one organism token). Examples:
 *
 * <pre>
 * addition  347+285=7+5+0=12,4+8+1=13,3+2+1=6;632
 * stack     PaPbOPc=a,ab,a,ac;c
 * bfs       a-b,b-c,d-e a?c=a,b,c;yes
 * logic     (T&amp;!F)|(F|T)=(T&amp;T)|T,T|T;T
 * </pre>
 *
 * <p>Entry points: {@link dev.sae4j.data.synthetic.SyntheticTasks#byName(String)} and {@link
 * dev.sae4j.data.synthetic.SyntheticTask#generate(SyntheticTask, int, long)}. Each task class
 * documents its format and labels; {@link dev.sae4j.data.synthetic.SyntheticExample#toRecord()}
 * exports an example as a GSM8K-style or logic-style benchmark record.
 */
package dev.sae4j.data.synthetic;
