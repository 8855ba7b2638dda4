using System.Threading.Channels;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Runs one tier: one thread at a time calls its <see cref="IMessageHandler.OnMessage"/> and
/// <see cref="IMessageHandler.OnTimer"/>, so the tier needs no locks. While <see cref="Run"/> runs, the transport's
/// receive thread hands each message to the tier itself (<see cref="Deliver"/>), taking turns with the host's thread,
/// which fires timers when the clock reaches <see cref="IMessageHandler.NextDeadlineMs"/>; messages that come while it
/// does not run (or through <see cref="Post"/>) wait in a bounded queue (full = dropped and counted, so a flood cannot
/// grow memory). Each message is stamped when it arrives, and a deadline that fell before a message's arrival fires
/// before that message is handled, so a busy host does not turn a timeout into an answer or the other way round.
/// </summary>
/// <remarks>
/// Handing messages over on the receive thread spares a thread wake-up per received packet: with ten tier processes
/// on two cores, the queue hop was a third of every device's context switches at 17,500 samples/s.
/// </remarks>
public sealed class TierHost : IDisposable
{
    /// <summary>Timer calls in a row after which the host handles messages again, so a tier that does not move its deadline cannot spin the host.</summary>
    private const int MaxTimersInARow = 1024;

    /// <summary>Messages handled in a row after which the host flushes anyway, so a long backlog does not hold the tier's publishes back.</summary>
    private const int FlushEvery = 64;

    private readonly IMessageHandler _handler;
    private readonly IServingClock _clock;
    private readonly Action? _flush;
    private readonly Channel<Incoming> _incoming;
    // No spinning before the wait blocks: a spinning wait yields the core some 25 times per wake-up, and with 36 tier
    // processes on two cores (bench serve, K = 16) those yields were ~135 context switches per second per idle host
    // thread, each one a chance for another process's wake-up to queue behind it.
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    // Whose turn it is with the tier: the host's thread, or a thread delivering a message.
    private readonly object _turn = new();
    private long _handled, _dropped, _timers, _received;
    private int _connectionLost;
    // Under _turn: whether Run runs, its finished condition, when its thread means to wake next, and how many
    // messages were delivered since the last flush.
    private bool _running;
    private Func<bool>? _finished;
    private double _wakeAtMs = double.NegativeInfinity;
    private int _deliveredInARow;

    /// <summary>
    /// A host for <paramref name="handler"/>. <paramref name="flush"/> (e.g. <see cref="MqttTransport.Flush"/> of a
    /// coalescing transport) is called in the tier's turn: on the host's thread whenever it has no message queued and is
    /// about to sleep, on the delivering thread at <see cref="CaughtUp"/>, after every <see cref="FlushEvery"/> messages
    /// handled in a row, and when <see cref="Run"/> returns: what the tier published while it worked through what had
    /// arrived goes out together.
    /// </summary>
    public TierHost(IMessageHandler handler, IServingClock clock, int capacity = 65536, Action? flush = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _handler = handler;
        _clock = clock;
        _flush = flush;
        _incoming = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// A host for <paramref name="handler"/> that hears from <paramref name="transport"/> when it caught up (the
    /// flush) and when it lost the broker (<see cref="ConnectionLost"/>). The transport's message callback, given
    /// when it was made, goes to <see cref="Deliver"/>.
    /// </summary>
    public static TierHost Over(MqttTransport transport, IMessageHandler handler, IServingClock clock, Action flush)
    {
        var host = new TierHost(handler, clock, flush: flush);
        transport.ConnectionLost += host.ConnectionLost;
        transport.CaughtUp += host.CaughtUp;
        return host;
    }

    /// <summary>Messages accepted into the queue.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages handed to the tier.</summary>
    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Messages dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Timer calls made.</summary>
    public long Timers => Interlocked.Read(ref _timers);

    /// <summary>Queues a message for the tier; callable from any thread. False (and counted) when the queue is full.</summary>
    public bool Post(string topic, byte[] payload) => Enqueue(new Incoming(topic, payload, _clock.NowMs));

    /// <summary>
    /// Hands a message to the tier on the calling thread (the transport's receive thread) while <see cref="Run"/> runs,
    /// after any queued ones and in turn with the host's thread; otherwise queues it as <see cref="Post"/> does. False
    /// (and counted) when it had to be queued and the queue is full.
    /// </summary>
    public bool Deliver(string topic, byte[] payload)
    {
        var message = new Incoming(topic, payload, _clock.NowMs);
        lock (_turn)
        {
            if (!_running) return Enqueue(message);
            Interlocked.Increment(ref _received);
            while (_incoming.Reader.TryRead(out var queued)) Handle(queued, ref _deliveredInARow);
            Handle(message, ref _deliveredInARow);
            // The host's thread sleeps until its plan: wake it when the tier is finished or needs it sooner.
            if (_finished?.Invoke() == true || _handler.NextDeadlineMs is { } next && next < _wakeAtMs) _signal.Set();
        }
        return true;
    }

    /// <summary>
    /// The transport has handed over everything it received and waits for more: what the tier published meanwhile goes
    /// out now (the flush), as when the host's queue runs empty. Does nothing while <see cref="Run"/> does not run.
    /// </summary>
    public void CaughtUp()
    {
        lock (_turn)
        {
            if (!_running) return;
            _deliveredInARow = 0;
            _flush?.Invoke();
        }
    }

    private bool Enqueue(Incoming message)
    {
        if (!_incoming.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        Interlocked.Increment(ref _received);
        _signal.Set();
        return true;
    }

    /// <summary>
    /// Tells the tier (<see cref="IMessageHandler.OnConnectionLost"/>, on the host's thread) that the transport lost
    /// the broker; callable from any thread. The tier hears of it before any message queued after this call.
    /// </summary>
    public void ConnectionLost()
    {
        Volatile.Write(ref _connectionLost, 1);
        _signal.Set();
    }

    /// <summary>
    /// Runs the tier on the calling thread until <paramref name="stop"/> is cancelled or <paramref name="finished"/>
    /// says so. <paramref name="finished"/> is asked after every message and wake-up, and at least every 100 ms; give
    /// <paramref name="wakeAfter"/> when it waits for a time, so that it is asked then too.
    /// </summary>
    public void Run(CancellationToken stop, Func<bool>? finished = null, TimeSpan? wakeAfter = null)
    {
        double? wakeAtMs = wakeAfter is { } after ? _clock.NowMs + after.TotalMilliseconds : null;
        using var wake = stop.Register(_signal.Set);
        var reader = _incoming.Reader;
        var inARow = 0;
        lock (_turn)
        {
            _running = true;
            _finished = finished;
        }
        try
        {
            while (!stop.IsCancellationRequested)
            {
                TimeSpan wait;
                lock (_turn)
                {
                    if (finished?.Invoke() == true) break;
                    NoticeConnectionLost();
                    if (reader.TryRead(out var message))
                    {
                        Handle(message, ref inARow);
                        continue;
                    }
                    FireTimersUpTo(_clock.NowMs);
                    _signal.Reset();
                    // A message posted between the empty read and the reset set the signal before the reset cleared it.
                    if (reader.TryRead(out message))
                    {
                        Handle(message, ref inARow);
                        continue;
                    }
                    _flush?.Invoke();
                    inARow = 0;
                    (wait, _wakeAtMs) = WaitTime(wakeAtMs);
                }
                _signal.Wait(wait);
            }
        }
        finally
        {
            lock (_turn)
            {
                _running = false;
                _finished = null;
                _flush?.Invoke();
            }
        }
    }

    private void NoticeConnectionLost()
    {
        if (Volatile.Read(ref _connectionLost) == 1 && Interlocked.Exchange(ref _connectionLost, 0) == 1) _handler.OnConnectionLost();
    }

    private void Handle(Incoming message, ref int inARow)
    {
        // A message posted after ConnectionLost() was set is read only after the flag is visible (the queue fences),
        // so checking here, between the read and the handling, keeps the loss ahead of it.
        NoticeConnectionLost();
        FireTimersUpTo(message.ArrivedMs);
        _handler.OnMessage(message.Topic, message.Payload);
        Interlocked.Increment(ref _handled);
        if (++inARow < FlushEvery) return;
        _flush?.Invoke();
        inARow = 0;
    }

    public void Dispose() => _signal.Dispose();

    private void FireTimersUpTo(double nowMs)
    {
        for (var i = 0; i < MaxTimersInARow && _handler.NextDeadlineMs is { } deadline && deadline <= nowMs; i++)
        {
            _handler.OnTimer(nowMs);
            Interlocked.Increment(ref _timers);
        }
    }

    /// <summary>
    /// How long to wait: until the tier's next deadline or <paramref name="wakeAtMs"/>, at most 100 ms so that a
    /// <c>finished</c> condition is polled; and the time the host is then due for (a delivery that brings a deadline
    /// before it wakes the host; one at that time or after need not, even when the wait was rounded up past it).
    /// </summary>
    private (TimeSpan Wait, double DueMs) WaitTime(double? wakeAtMs)
    {
        const double most = 100;
        var now = _clock.NowMs;
        var deadline = (_handler.NextDeadlineMs, wakeAtMs) switch
        {
            ({ } tier, { } wake) => Math.Min(tier, wake),
            (var tier, var wake) => tier ?? wake,
        };
        if (deadline is null || deadline.Value - now >= most) return (TimeSpan.FromMilliseconds(most), now + most);
        // Rounded up to whole milliseconds: the wait truncates to them, and a deadline 0.4 ms away would otherwise
        // become a zero wait that spins the host (and a shared core) until the deadline comes.
        var wait = Math.Max(0, Math.Ceiling(deadline.Value - now));
        return (TimeSpan.FromMilliseconds(wait), deadline.Value);
    }

    private readonly record struct Incoming(string Topic, byte[] Payload, double ArrivedMs);
}
