// The interactive status screen: holds the latest reports, the selection and the log panel, maps keys to
// the engine's actions, and renders StatusView. All engine access goes through `subscribe` and `actions`.
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { StatusView } from './status-view.js';
import type {
  LogTailData,
  NoticeSubscribe,
  StatusActions,
  StatusReport,
  StatusSubscribe,
  ViewMessage,
} from './types.js';

export interface StatusAppProps {
  subscribe: StatusSubscribe;
  actions: StatusActions;
  notices?: NoticeSubscribe;
  color: boolean;
  /** Terminal columns; when omitted, follows stdout's columns and its resize events. */
  width?: number;
  /** Reports to show before the first push. */
  initialReports?: readonly StatusReport[];
  /** The clock for the title's "last update" time. */
  now?: () => Date;
}

type Verb = 'start' | 'stop' | 'restart';
const VERB_KEYS: Record<string, Verb> = { s: 'start', x: 'stop', r: 'restart' };

// An AcodeError (or anything shaped like one) keeps its code and hint; anything else shows its message.
function describeFailure(error: unknown): ViewMessage {
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    const e = error as { code: unknown; message: unknown; hint?: unknown };
    const failure = {
      code: String(e.code),
      message: String(e.message),
      hint: typeof e.hint === 'string' ? e.hint : '',
    };
    return { text: `error[${failure.code}]: ${failure.message}`, tone: 'error', error: failure };
  }
  return { text: error instanceof Error ? error.message : String(error), tone: 'error' };
}

function useTerminalWidth(): number {
  const { stdout } = useStdout();
  const [columns, setColumns] = useState(stdout.columns || 80);
  useEffect(() => {
    const onResize = () => setColumns(stdout.columns || 80);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return columns;
}

export function StatusApp({
  subscribe,
  actions,
  notices,
  color,
  width,
  initialReports,
  now = () => new Date(),
}: StatusAppProps) {
  const { exit } = useApp();
  const terminalWidth = useTerminalWidth();
  const [reports, setReports] = useState<readonly StatusReport[] | undefined>(initialReports);
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>(initialReports ? now() : undefined);
  const [selectedId, setSelectedId] = useState<string | undefined>(initialReports?.[0]?.id);
  const [logOpen, setLogOpen] = useState(false);
  const [log, setLog] = useState<LogTailData | undefined>();
  const [message, setMessage] = useState<ViewMessage | undefined>();
  // Keys can arrive faster than React re-renders; handlers read the latest values from refs.
  const reportsRef = useRef(reports ?? []);
  const selectedRef = useRef(selectedId);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    const unsubscribe = subscribe((next) => {
      if (!mounted.current) return;
      reportsRef.current = next;
      const kept = next.some((r) => r.id === selectedRef.current);
      if (!kept) {
        selectedRef.current = next[0]?.id;
        setSelectedId(selectedRef.current);
      }
      setReports(next);
      setUpdatedAt(now());
    });
    return () => {
      mounted.current = false;
      unsubscribe();
    };
    // `now` is a clock, not data: a new function identity must not resubscribe.
  }, [subscribe]);

  useEffect(
    () =>
      notices?.((m) => {
        if (mounted.current) setMessage(m);
      }),
    [notices],
  );

  const current = reportsRef.current.some((r) => r.id === selectedId) ? selectedId : reportsRef.current[0]?.id;
  // The log is read again when the selected server changes state (a crash, a restart), not on every push:
  // pushes arrive with each pull progress event, and a log read is file I/O.
  const currentState = reportsRef.current.find((r) => r.id === current)?.state;

  useEffect(() => {
    if (!logOpen || current === undefined) {
      setLog(undefined);
      return;
    }
    let stale = false;
    setLog((shown) =>
      shown?.id === current ? { ...shown, loading: true } : { id: current, lines: [], loading: true },
    );
    actions.logTail(current).then(
      (lines) => {
        if (!stale) setLog({ id: current, lines });
      },
      (error: unknown) => {
        if (!stale) setLog({ id: current, lines: [], error: describeFailure(error).text });
      },
    );
    return () => {
      stale = true;
    };
  }, [logOpen, current, currentState, actions]);

  const move = (delta: number) => {
    const list = reportsRef.current;
    if (list.length === 0) return;
    const at = Math.max(
      0,
      list.findIndex((r) => r.id === selectedRef.current),
    );
    const next = list[Math.min(list.length - 1, Math.max(0, at + delta))];
    selectedRef.current = next?.id;
    setSelectedId(selectedRef.current);
  };

  const run = (verb: Verb) => {
    const id = selectedRef.current ?? reportsRef.current[0]?.id;
    if (id === undefined) return;
    setMessage({ text: `${verb} ${id}…`, tone: 'info' });
    // Promise.resolve().then also turns a synchronous throw from the action into a shown error.
    Promise.resolve()
      .then(() => actions[verb](id))
      .then(
        () => {
          if (mounted.current) setMessage({ text: `${verb} ${id}: done`, tone: 'info' });
        },
        (error: unknown) => {
          if (mounted.current) setMessage(describeFailure(error));
        },
      );
  };

  useInput((input, key) => {
    if (key.upArrow || input === 'k') move(-1);
    else if (key.downArrow || input === 'j') move(1);
    else if (input === 'l') setLogOpen((open) => !open);
    else if (input === 'q') exit();
    else if (input in VERB_KEYS) run(VERB_KEYS[input] as Verb);
  });

  return (
    <StatusView
      reports={reports ?? []}
      width={width ?? terminalWidth}
      color={color}
      now={updatedAt}
      selected={current}
      logTail={log}
      message={reports === undefined ? { text: 'waiting for status…', tone: 'info' } : message}
    />
  );
}
