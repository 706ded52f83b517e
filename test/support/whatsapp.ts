/** Statuses in one `messages` change, wrapped as Meta's webhook delivers them. */
export const statusDelivery = (statuses: readonly Record<string, unknown>[]) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            statuses,
          },
        },
      ],
    },
  ],
});
