// The footer that lists the keys StatusApp answers to.
import { Text } from 'ink';
import { paint } from './style.js';

const KEYS: ReadonlyArray<readonly [key: string, action: string]> = [
  ['s', 'start'],
  ['x', 'stop'],
  ['r', 'restart'],
  ['l', 'log'],
  ['q', 'quit'],
];

export interface KeyHelpProps {
  color: boolean;
}

export function KeyHelp({ color }: KeyHelpProps) {
  const keys = KEYS.map(([key, action]) => `${paint(key, 'bold', color)} ${action}`).join('  ');
  return (
    <Text>
      {paint('j/k select', 'dim', color)}
      {'  '}
      {keys}
    </Text>
  );
}
