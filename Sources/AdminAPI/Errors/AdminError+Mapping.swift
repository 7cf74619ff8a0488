import Storage
import Webhooks

extension AdminError {
    /// The API answer for an error thrown by a dependency; nil for unexpected errors (500, logged).
    static func mapping(_ error: any Error) -> AdminError? {
        switch error {
        case let error as AdminError:
            return error
        case let error as WebhookValidationError:
            return .validation(error.problems)
        case let error as WebhookStoreError:
            switch error {
            case .notFound: return .notFound
            case .managedByConfiguration, .tenantInUse:
                return AdminError(status: 409, message: error.description, field: error.field)
            }
        default:
            return nil
        }
    }
}
