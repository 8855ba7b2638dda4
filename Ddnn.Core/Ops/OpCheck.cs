namespace Ddnn.Core;

/// <summary>Shape validation at op boundaries with messages naming the op and the shapes.</summary>
internal static class OpCheck
{
    public static void NotNull(string op, Tensor? t, string name)
    {
        if (t is null) throw new ArgumentNullException(name, $"{op}: {name} is null.");
    }

    public static void Rank(string op, Tensor t, string name, int rank)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{op}: {name} {t.ShapeText} must have rank {rank}.", name);
    }

    public static void SameShape(string op, Tensor a, string aName, Tensor b, string bName)
    {
        if (!a.SameShape(b))
            throw new ArgumentException($"{op}: {aName} {a.ShapeText} and {bName} {b.ShapeText} must have the same shape.", bName);
    }

    /// <summary><see cref="Vector"/> for a per-channel vector of <paramref name="input"/>; the message is built only on failure.</summary>
    public static void ChannelVector(string op, Tensor t, string name, int channels, Tensor input)
    {
        if (t.Rank != 1 || t.Length != channels) Vector(op, t, name, channels, $"one per channel of input {input.ShapeText}");
    }

    public static void Vector(string op, Tensor t, string name, int length, string why)
    {
        if (t.Rank != 1 || t.Length != length)
            throw new ArgumentException($"{op}: {name} {t.ShapeText} must be a vector of length {length} ({why}).", name);
    }
}
