using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ddnn.Core;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>
/// mosquitto 2's password file format, <c>user:$7$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c>: PBKDF2-HMAC-SHA512 of the
/// password over a random 12-byte salt, 64-byte hash, both standard base64 (what <c>mosquitto_passwd</c> writes, 101
/// iterations). The embedded broker checks passwords against the same file, so one file serves both brokers.
/// </summary>
public static class MosquittoPasswordFile
{
    /// <summary>mosquitto_passwd's iteration count.</summary>
    public const int Iterations = 101;

    private const int SaltBytes = 12, HashBytes = 64;

    /// <summary>The <c>$7$...</c> hash of <paramref name="password"/> with <paramref name="salt"/> (a fresh random one by default).</summary>
    public static string Hash(string password, byte[]? salt = null, int iterations = Iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        salt ??= RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="hash"/> (a <c>$7$</c> entry); compared in constant time.</summary>
    public static bool Verify(string hash, string password)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(password);
        var parts = hash.Split('$');
        // "", "7", iterations, salt, hash
        if (parts.Length != 5 || parts[0].Length != 0 || parts[1] != "7"
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[3]);
            expected = Convert.FromBase64String(parts[4]);
        }
        catch (FormatException)
        {
            return false;
        }
        if (expected.Length == 0) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>The file's text for <paramref name="passwords"/> (user → password), one fresh salt per user.</summary>
    public static string Write(IEnumerable<KeyValuePair<string, string>> passwords)
    {
        ArgumentNullException.ThrowIfNull(passwords);
        var text = new StringBuilder();
        foreach (var (user, password) in passwords)
        {
            if (user.Length == 0 || user.Contains(':') || user.Any(char.IsWhiteSpace))
                throw new ArgumentException($"user name '{user}' cannot go in a mosquitto password file (empty, ':' or white space)", nameof(passwords));
            text.Append(user).Append(':').Append(Hash(password)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Reads a password file: user → hash. A line that is not <c>user:$7$...</c> is an <see cref="InvalidDataException"/> naming its number.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0 || !line.AsSpan(colon + 1).StartsWith("$7$"))
                throw new InvalidDataException($"line {number} is not 'user:$7$<iterations>$<salt>$<hash>' (mosquitto 2 format)");
            entries[line[..colon]] = line[(colon + 1)..];
        }
        return entries;
    }
}

/// <summary>
/// One deployment's credentials: a random password per tier and for the monitor, and the files that go with them,
/// written by <c>ddnn serve broker-config</c> (and by <c>ddnn serve all</c> for its embedded broker):
/// <c>&lt;user&gt;.password</c> per user (mode 0600, the password alone), <c>mosquitto.passwd</c> (mode 0600),
/// <c>mosquitto.acl</c> and <c>mosquitto-auth.conf</c> (the three lines that point mosquitto at them).
/// </summary>
public sealed class BrokerCredentials
{
    /// <summary>The mosquitto password file's name in a credentials folder.</summary>
    public const string PasswordFileName = "mosquitto.passwd";

    /// <summary>The mosquitto ACL file's name in a credentials folder.</summary>
    public const string AclFileName = "mosquitto.acl";

    /// <summary>The mosquitto config snippet's name in a credentials folder.</summary>
    public const string ConfigFileName = "mosquitto-auth.conf";

    /// <summary>The environment variable a tier reads its password from when no <c>--password-file</c> is given.</summary>
    public const string PasswordVariable = "DDNN_MQTT_PASSWORD";

    private const int PasswordBytes = 24;

    private BrokerCredentials(AccessControlList acl, IReadOnlyDictionary<string, string> passwords)
    {
        Acl = acl;
        Passwords = passwords;
    }

    /// <summary>What each user may do.</summary>
    public AccessControlList Acl { get; }

    /// <summary>User → password.</summary>
    public IReadOnlyDictionary<string, string> Passwords { get; }

    /// <summary>The file a user's password is written to in <paramref name="directory"/>.</summary>
    public static string PasswordFileOf(string directory, string user) => Path.Combine(directory, user + ".password");

    /// <summary>A fresh password (24 bytes of the OS's cryptographic RNG, base64url: 32 characters) for every user of <paramref name="acl"/>.</summary>
    public static BrokerCredentials Generate(AccessControlList acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in acl.Users)
            passwords[user] = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(PasswordBytes));
        return new BrokerCredentials(acl, passwords);
    }

    /// <summary>Writes every file into <paramref name="directory"/> (created if need be), each atomically; secrets with mode 0600.</summary>
    public void WriteTo(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        directory = Path.GetFullPath(directory);
        foreach (var (user, password) in Passwords)
            WriteSecret(PasswordFileOf(directory, user), password + "\n");
        WriteSecret(Path.Combine(directory, PasswordFileName), MosquittoPasswordFile.Write(Passwords));
        AtomicFile.WriteAllText(Path.Combine(directory, AclFileName), Acl.ToMosquittoAcl());
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), string.Create(CultureInfo.InvariantCulture, $"""
            # Add to a mosquitto 2 config (after its listener lines); written by ddnn serve broker-config.
            allow_anonymous false
            password_file {Path.Combine(directory, PasswordFileName)}
            acl_file {Path.Combine(directory, AclFileName)}

            """));
    }

    private static void WriteSecret(string path, string text) =>
        AtomicFile.Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); },
            OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>
    /// A tier's password: the first line of <paramref name="passwordFile"/> if given, else <see cref="PasswordVariable"/>,
    /// else null (connect without credentials). A file that cannot be read or is empty is an <see cref="IOException"/>
    /// that names it and says why.
    /// </summary>
    public static string? ReadPassword(string? passwordFile)
    {
        if (passwordFile is null)
            return Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        string text;
        try
        {
            text = File.ReadAllText(passwordFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the password file '{passwordFile}': {e.Message}", e);
        }
        var line = text.Split('\n')[0].TrimEnd('\r');
        if (line.Length == 0) throw new IOException($"the password file '{passwordFile}' is empty: its first line is the password");
        return line;
    }
}
