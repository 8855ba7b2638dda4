namespace Ddnn.Bench;

/// <summary>Command-line front door of Ddnn.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("ddnn: no verbs yet");
        return 2;
    }
}
