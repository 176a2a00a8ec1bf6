class Order < ApplicationRecord
  has_many :line_items, dependent: :destroy

  enum :status, { pending: 0, paid: 1, shipped: 2 }

  validates :email, presence: true
  validates :number, presence: true, uniqueness: true

  after_commit :send_confirmation, on: :update, if: -> { saved_change_to_status?(to: "paid") }

  def total_cents
    line_items.sum { |item| item.quantity * item.unit_price_cents }
  end

  private

  def send_confirmation
    OrderConfirmationJob.perform_later(id)
  end
end
